"""Signing in and out of the console, and enrolling the second factor. Every refusal reads the
same, whatever its cause; the cookie is HttpOnly, SameSite=Strict, limited to /console, and
Secure when the console is reached over https."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.common.auth import Role
from services.common.pages import choose_language, content_security_policy, origin_of
from services.tracker.console import accounts
from services.tracker.console.accounts import Current
from services.tracker.console.deps import (
    COOKIE_PATH,
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    ConsoleDep,
    FormExpired,
    SignedIn,
)
from services.tracker.console.pages import PAGES, qr_svg_data_uri
from services.tracker.routes.tracking import client_address
from services.tracker.web import read_form

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _sign_in_page(
    request: Request, lang: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The form, with a fresh pre-session token in a cookie and in the form (the sign-in form's
    own CSRF protection: another site cannot read the cookie to copy it)."""
    pre = secrets.token_urlsafe(24)
    response = PAGES.render(
        request, "sign_in.html", lang=lang, status_code=status_code, pre=pre, **context
    )
    response.set_cookie(
        PRE_SESSION_COOKIE,
        pre,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


async def _posted(request: Request) -> dict[str, str]:
    form = await read_form(request)
    cookie = request.cookies.get(PRE_SESSION_COOKIE, "")
    if form is None or not cookie or not hmac.compare_digest(form.get("pre", ""), cookie):
        raise FormExpired()
    return form


def _signed_in(request: Request, done: accounts.SignedIn, lang: str) -> Response:
    log.info("console sign-in", extra={"account": done.account.id})
    response = PAGES.redirect(f"/console/?lang={lang}")
    response.set_cookie(
        SESSION_COOKIE,
        done.secret,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/console/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> HTMLResponse:
    again = request.query_params.get("again") == "1"  # see `pages.install_console_answers`
    return _sign_in_page(request, choose_language(request), again=again)


@router.post("/console/sign-in", response_model=None)
async def sign_in(request: Request, console: ConsoleDep) -> Response:
    form = await _posted(request)
    lang = choose_language(request, form.get("lang"))
    account_id = form.get("account", "")[:100]
    try:
        result = await accounts.sign_in(
            console,
            account_id,
            form.get("password", "")[:200],
            form.get("code", "")[:20],
            client_address(request),
        )
    except accounts.SignInRefused as refused:
        log.info("console sign-in refused", extra={"locked": refused.locked})
        return _sign_in_page(
            request,
            lang,
            status_code=401,
            problem="sign_in_locked" if refused.locked else "sign_in_refused",
            account=account_id,
        )
    if isinstance(result, accounts.Enrolment):
        return _enrol_page(request, lang, result)
    return _signed_in(request, result, lang)


def _enrol_page(
    request: Request, lang: str, enrolment: accounts.Enrolment, problem: str | None = None
) -> HTMLResponse:
    pre = request.cookies.get(PRE_SESSION_COOKIE, "")
    return PAGES.render(
        request,
        "enrol.html",
        lang=lang,
        status_code=422 if problem else 200,
        enrolment=enrolment,
        qr=qr_svg_data_uri(enrolment.uri),
        pre=pre,
        problem=problem,
    )


@router.post("/console/enrol", response_model=None)
async def enrol(request: Request, console: ConsoleDep) -> Response:
    form = await _posted(request)
    lang = choose_language(request, form.get("lang"))
    account_id = form.get("account", "")[:100]
    try:
        done = await accounts.confirm_enrolment(
            console, account_id, form.get("code", "")[:20], client_address(request)
        )
    except accounts.SignInRefused:
        account = await console.accounts.get(account_id)
        if account is None or account.totp_secret is None or account.totp_confirmed:
            return _sign_in_page(request, lang, status_code=401, problem="sign_in_refused")
        pending = await accounts.start_enrolment(console, account)
        return _enrol_page(request, lang, pending, problem="enrol_refused")
    return _signed_in(request, done, lang)


@router.post("/console/sign-out", response_model=None)
async def sign_out(request: Request, console: ConsoleDep) -> Response:
    form = await read_form(request) or {}
    lang = choose_language(request, form.get("lang"))
    secret = request.cookies.get(SESSION_COOKIE)
    who = await accounts.current(console, secret)
    # Only the person's own page may sign them out (its CSRF token), or a dead session.
    if who is not None and not hmac.compare_digest(form.get("csrf", ""), who.session.csrf):
        raise FormExpired()
    await accounts.sign_out(console, secret)
    response = _sign_in_page(request, lang, ended=True)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/console/", response_model=None)
async def home(request: Request, who: SignedIn) -> Response:
    """Each role's first page."""
    lang = choose_language(request)
    if who.account.role in (Role.INVESTIGATOR, Role.SUPERVISOR):
        return PAGES.redirect(f"/console/queue?lang={lang}")
    if who.account.role is Role.ADMINISTRATOR:
        return PAGES.redirect(f"/console/accounts?lang={lang}")
    if who.account.role is Role.AUDITOR:
        return PAGES.redirect(f"/console/audit?lang={lang}")
    if who.account.role is Role.ANALYST:
        return PAGES.redirect(f"/console/insights?lang={lang}")
    if who.account.role is Role.CLERK:
        return clerk_home(request, who)
    return PAGES.render(request, "home.html", who=who)


def clerk_home(request: Request, who: Current) -> Response:
    """A clerk's first page: the hand-off to intake's staff entry, which takes the clerk's own
    staff token (the one this session holds, revoked when it ends or the account is disabled)
    posted to its sign-in. Only this page's policy lets a form post to intake."""
    intake = request.app.state.console.intake_public_url.rstrip("/")
    response = PAGES.render(
        request,
        "clerk_home.html",
        who=who,
        token=who.session.token,
        entry_action=f"{intake}/staff/sign-in",
    )
    response.headers["Content-Security-Policy"] = content_security_policy([origin_of(intake)])
    return response
