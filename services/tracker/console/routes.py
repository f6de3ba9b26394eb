"""The console's pages under /console/, mounted by the tracker (`api.create_app`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from pymongo.asynchronous.database import AsyncDatabase

from services.common.auth import TokenRegister, issue, load_private_key
from services.common.crypto import Keyring
from services.common.settings import TrackerSettings
from services.common.throttle import FailureThrottle
from services.tracker.console import (
    admin,
    audit_page,
    case_page,
    insights_page,
    load_page,
    queue_page,
    sign_in,
)
from services.tracker.console.accounts import Account
from services.tracker.console.deps import ConsoleParts
from services.tracker.console.pages import STATIC, install_console_answers
from services.tracker.console.stores import AccountStore, SessionStore


def console_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    files = {
        "console.css": ((STATIC / "console.css").read_bytes(), "text/css"),
        "console.js": ((STATIC / "console.js").read_bytes(), "text/javascript"),
    }

    @router.get("/console/static/{name}")
    async def console_static(name: str) -> Response:
        if name not in files:
            return Response("no such file\n", status_code=404, media_type="text/plain")
        body, media_type = files[name]
        return Response(
            body,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    for module in (sign_in, admin, queue_page, case_page, load_page, audit_page, insights_page):
        router.include_router(module.router)
    return router


def install_console(app: FastAPI) -> None:
    install_console_answers(app)
    app.include_router(console_router())


def console_parts(
    settings: TrackerSettings,
    db: AsyncDatabase[dict[str, Any]],
    register: TokenRegister,
    keyring: Keyring,
) -> ConsoleParts:
    """The stores, throttle and token issuer every console request is given."""
    lifetime = timedelta(hours=settings.console_session_hours)
    signing_key = (
        load_private_key(settings.console_signing_key_file.read_bytes())
        if settings.console_signing_key_file
        else None
    )

    async def issue_token(account: Account, lifetime: timedelta) -> tuple[str, str] | None:
        """The person's own staff token, entered in the register like the command's."""
        if signing_key is None:
            return None
        token, claims = issue(
            signing_key,
            subject=account.id,
            role=account.role,
            lifetime=lifetime,
            provinces=account.provinces,
            teams=account.teams,
        )
        await register.record_issue(claims)
        return token, str(claims["jti"])

    async def revoke_token(token_id: str) -> None:
        await register.revoke(token_id)

    return ConsoleParts(
        accounts=AccountStore(db, keyring),
        sessions=SessionStore(db, lifetime),
        throttle=FailureThrottle(
            free_failures=settings.lookup_free_failures,
            window_seconds=settings.lookup_window_seconds,
            max_delay=settings.lookup_max_delay_seconds,
        ),
        idle=timedelta(minutes=settings.console_idle_minutes),
        lifetime=lifetime,
        lockout_after=settings.console_lockout_failures,
        issue_token=issue_token,
        revoke_token=revoke_token,
        intake_public_url=settings.intake_public_url,
    )
