"""The console's FastAPI dependencies: the account and session use cases' `Console`, the
signed-in person (or a redirect to sign in), their role checked on the server, and each form's
CSRF token checked before anything acts."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from services.common.auth import Role
from services.common.throttle import FailureThrottle
from services.tracker.console.accounts import (
    Console,
    Current,
    TokenIssuer,
    TokenRevoker,
    current,
)
from services.tracker.console.stores import AccountStore, SessionStore
from services.tracker.deps import ClockDep, OfficeDep

SESSION_COOKIE = "tipline_console"
PRE_SESSION_COOKIE = "tipline_console_pre"  # the sign-in form's own CSRF token
COOKIE_PATH = "/console"


class SignInNeeded(Exception):
    """No live session: the page answers with the sign-in page."""


class NotAllowed(Exception):
    """The person's role or scope may not see this (the same answer as for nothing there)."""


class FormExpired(Exception):
    """A form without this session's CSRF token, or larger than any console form."""


@dataclass
class ConsoleParts:
    """Built once at start-up (`api.create_app`), kept on `app.state.console`."""

    accounts: AccountStore
    sessions: SessionStore
    throttle: FailureThrottle
    idle: timedelta
    lifetime: timedelta
    lockout_after: int
    issue_token: TokenIssuer
    revoke_token: TokenRevoker
    intake_public_url: str = "http://127.0.0.1:8080"  # where clerks are handed on to


def get_console(request: Request, clock: ClockDep, office: OfficeDep) -> Console:
    parts: ConsoleParts = request.app.state.console
    return Console(
        accounts=parts.accounts,
        sessions=parts.sessions,
        routing=office.routing,
        clock=clock,
        throttle=parts.throttle,
        idle=parts.idle,
        lifetime=parts.lifetime,
        lockout_after=parts.lockout_after,
        issue_token=parts.issue_token,
        revoke_token=parts.revoke_token,
    )


ConsoleDep = Annotated[Console, Depends(get_console)]


async def get_current(request: Request, console: ConsoleDep) -> Current:
    who = await current(console, request.cookies.get(SESSION_COOKIE))
    if who is None:
        raise SignInNeeded()
    request.state.principal = who.principal
    request.state.console_person = who  # for the answer to a refused page
    return who


SignedIn = Annotated[Current, Depends(get_current)]


def person(*roles: Role) -> Callable[[Current], Awaitable[Current]]:
    async def dependency(who: SignedIn) -> Current:
        if who.account.role not in roles:
            raise NotAllowed()
        return who

    return dependency


Worker = Annotated[Current, Depends(person(Role.INVESTIGATOR, Role.SUPERVISOR))]
Supervisor = Annotated[Current, Depends(person(Role.SUPERVISOR))]
Administrator = Annotated[Current, Depends(person(Role.ADMINISTRATOR))]
Auditor = Annotated[Current, Depends(person(Role.AUDITOR))]


MAX_FORM_BYTES = 64 * 1024


async def form_of(request: Request, who: Current) -> FormData:
    """The posted form (fields may repeat: several cases, provinces), once its CSRF token is
    this session's. No console form is larger than 64 KB or carries files."""
    if int(request.headers.get("content-length") or MAX_FORM_BYTES + 1) > MAX_FORM_BYTES:
        raise FormExpired()
    form = await request.form(max_files=0, max_fields=500)
    csrf = form.get("csrf")
    if not isinstance(csrf, str) or not hmac.compare_digest(csrf, who.session.csrf):
        raise FormExpired()
    return form


def text_of(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def texts_of(form: FormData, name: str) -> list[str]:
    return [v[:200] for v in form.getlist(name) if isinstance(v, str) and v]
