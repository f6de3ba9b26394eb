"""Staff entry: call-centre and mail-room clerks enter phone and letter reports.

A clerk signs in by pasting the token issued to them; it is kept in an HttpOnly,
SameSite=Strict cookie (Secure on https) limited to /staff, and every form carries a CSRF token
bound to that token's id. An `Authorization: Bearer` header works too, for tools. The report
goes through the same `SubmitReport` as every other channel.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import URL

from services.common.auth import Principal, Role, StaffAuth, forbidden
from services.common.events import Channel
from services.common.pages import PAGE_HEADERS, choose_language
from services.common.settings import IntakeSettings
from services.common.texts import TEXTS
from services.intake.channels import forms
from services.intake.channels.pages import Site, derived_key, read_form, submit_form
from services.intake.deps import StaffAuthDep, Submit

STAFF_COOKIE = "tipline_staff"
STAFF_CHANNELS = {"phone": Channel.PHONE, "letter": Channel.LETTER}


def clerk_from(auth: StaffAuth, authorization: str | None) -> Principal:
    """The signed-in clerk: 401 without a valid token, 403 for another role (as `require`)."""
    principal = auth.authenticate(authorization)
    if principal.role is not Role.CLERK:
        raise forbidden(f"the {principal.role.value} role may not do this; it needs clerk")
    return principal


def clerk(auth: StaffAuth, request: Request) -> Principal:
    """The clerk of this request, by header or else by the sign-in cookie."""
    header = request.headers.get("authorization")
    cookie = request.cookies.get(STAFF_COOKIE)
    presented = header if header else f"Bearer {cookie}" if cookie else None
    return clerk_from(auth, presented)


def to_sign_in(lang: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/sign-in?lang={lang}", status_code=303)


def signed_in(lang: str, token: str, principal: Principal, *, secure: bool) -> Response:
    """On to staff entry, with the token kept in a cookie for as long as it is valid."""
    response = RedirectResponse(f"/staff/entry?lang={lang}", status_code=303)
    lifetime = int(principal.expires_at.timestamp() - time.time())
    response.set_cookie(
        STAFF_COOKIE,
        token,
        max_age=max(lifetime, 0),
        path="/staff",
        httponly=True,
        secure=secure,
        samesite="strict",
    )
    response.headers.update(PAGE_HEADERS)
    return response


def staff_router(settings: IntakeSettings, site: Site) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    secret = settings.tracking_code_secret.get_secret_value().encode()
    csrf_key = derived_key(secret, b"tipline staff csrf")
    secure_cookies = settings.intake_public_url.startswith("https://")

    def csrf_for(principal: Principal) -> str:
        return hmac.new(csrf_key, principal.token_id.encode(), hashlib.sha256).hexdigest()

    @router.get("/staff/sign-in", response_class=HTMLResponse)
    async def sign_in_page(request: Request) -> HTMLResponse:
        return site.pages.render(request, "staff_sign_in.html", lang=choose_language(request))

    @router.post("/staff/sign-in", response_model=None)
    async def sign_in(request: Request, auth: StaffAuthDep) -> Response:
        form = await read_form(request)
        lang = choose_language(request, form.get("lang"))
        token = form.get("token", "").strip()
        try:
            principal = clerk_from(auth, f"Bearer {token}")
        except HTTPException as exc:
            reason = exc.detail.get("reason", "") if isinstance(exc.detail, dict) else ""
            return site.pages.render(
                request,
                "staff_sign_in.html",
                lang=lang,
                status_code=exc.status_code,
                problem=reason,
            )
        return signed_in(lang, token, principal, secure=secure_cookies)

    @router.post("/staff/sign-out", response_model=None)
    async def sign_out(request: Request, auth: StaffAuthDep) -> Response:
        form = await read_form(request)
        lang = choose_language(request)
        # Only this clerk's own page may sign them out (the CSRF token), or a dead session.
        try:
            principal: Principal | None = clerk(auth, request)
        except HTTPException:
            principal = None
        if principal is not None and not hmac.compare_digest(
            form.get("csrf", ""), csrf_for(principal)
        ):
            raise HTTPException(status_code=403, detail="the form expired; sign out again")
        response = to_sign_in(lang)
        response.delete_cookie(STAFF_COOKIE, path="/staff")
        return response

    @router.get("/staff/entry", response_model=None)
    async def staff_entry_page(request: Request, auth: StaffAuthDep) -> Response:
        lang = choose_language(request)
        try:
            principal = clerk(auth, request)
        except HTTPException as exc:
            if exc.status_code == 401:
                return to_sign_in(lang)
            raise
        return site.form_page(
            request,
            lang,
            template="staff_entry.html",
            action="/staff/entry",
            csrf=csrf_for(principal),
        )

    @router.post("/staff/entry", response_class=HTMLResponse)
    async def staff_entry(request: Request, auth: StaffAuthDep, submit: Submit) -> HTMLResponse:
        form = await read_form(request)
        lang = choose_language(request, form.get("lang"))
        principal = clerk(auth, request)
        csrf = csrf_for(principal)
        if not hmac.compare_digest(form.get("csrf", ""), csrf):
            raise HTTPException(status_code=403, detail=TEXTS[lang]["staff_bad_session"])
        channel = STAFF_CHANNELS.get(form.get("channel", ""), Channel.PHONE)
        data = forms.report_data(form, channel=channel, language=lang)
        result = await submit_form(submit, form, data)
        if isinstance(result, dict):
            return site.form_page(
                request,
                lang,
                template="staff_entry.html",
                action="/staff/entry",
                values=form,
                errors=result,
                csrf=csrf,
                status_code=422,
            )
        return site.done_page(
            request,
            lang,
            staff=True,
            tracking_code=result.tracking_code,
            again_url=str(URL("/staff/entry").include_query_params(lang=lang)),
        )

    return router
