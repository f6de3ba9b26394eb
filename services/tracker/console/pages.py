"""How every console page is rendered and answered: the reporting site's templates and
stylesheet with the console's own, its texts in both languages, the headers every page gets
(strict CSP, no-store), and the answers to a missing session, a refused role and an expired
form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import segno
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.common.pages import Pages, choose_language
from services.tracker.console.accounts import Current, session_hash
from services.tracker.console.deps import (
    COOKIE_PATH,
    SESSION_COOKIE,
    FormExpired,
    NotAllowed,
    SignInNeeded,
)
from services.tracker.console.office_apis import TokenRefused
from services.tracker.console.texts import CONSOLE_TEXTS, label_namer

STATIC = Path(__file__).parent / "web" / "static"


class ConsolePages:
    def __init__(self) -> None:
        self.pages = Pages(Path(__file__).parent / "web" / "templates")
        self.headers = self.pages.headers

    def render(
        self,
        request: Request,
        template: str,
        *,
        who: Current | None = None,
        status_code: int = 200,
        lang: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        lang = lang or choose_language(request)
        if request.method != "GET":
            # The switch of a page that answers a form shows the page the form was on.
            other = "en" if lang == "zh" else "zh"
            context["console_switch"] = f"{page_of_form(request.url.path)}?lang={other}"
        return self.pages.render(
            request,
            template,
            lang=lang,
            status_code=status_code,
            c=CONSOLE_TEXTS[lang],
            # Teams are named after what they cover in the routing table in use.
            label=label_namer(
                lang, getattr(getattr(request.app.state, "office", None), "routing", None)
            ),
            who=who,
            csrf=who.session.csrf if who else "",
            **context,
        )

    def redirect(self, url: str) -> RedirectResponse:
        """After a form: see the result with GET (a reload does not post again)."""
        return RedirectResponse(url, status_code=303, headers=self.headers)


PAGES = ConsolePages()


def page_of_form(path: str) -> str:
    """The page (a GET address) whose form posted to `path`."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["console", "cases"] and len(parts) >= 3:
        return f"/console/cases/{parts[2]}"
    if parts[:2] in (["console", "accounts"], ["console", "queue"]):
        return f"/{parts[0]}/{parts[1]}"
    if parts[:2] in (["console", "sign-in"], ["console", "enrol"], ["console", "sign-out"]):
        return "/console/sign-in"
    return "/console/"


def qr_svg_data_uri(uri: str) -> str:
    """The enrolment QR code as an inline image (the CSP allows data: images only)."""
    return segno.make(uri, error="m", micro=False).svg_data_uri(scale=5)


def install_console_answers(app: FastAPI) -> None:
    async def sign_in_needed(request: Request, exc: Exception) -> Response:
        # A form posted after the session ended: the sign-in page, by GET, with a fresh form.
        return PAGES.redirect(f"/console/sign-in?lang={choose_language(request)}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        who = getattr(request.state, "console_person", None)
        return PAGES.render(request, "forbidden.html", who=who, status_code=403)

    async def form_expired(request: Request, exc: Exception) -> Response:
        return PAGES.render(request, "forbidden.html", status_code=403, expired=True)

    async def token_refused(request: Request, exc: Exception) -> Response:
        # Another service no longer accepts the person's token, so every page needing it would
        # fail: the session ends here too, and the person is asked to sign in again.
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            await request.app.state.console.sessions.delete(session_hash(secret))
        lang = choose_language(request)
        response = PAGES.redirect(f"/console/sign-in?lang={lang}&again=1")
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        return response

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(TokenRefused, token_refused)
    app.add_exception_handler(NotAllowed, not_allowed)
    app.add_exception_handler(FormExpired, form_expired)
