"""What every public HTML page shares: security headers, language choice and templates.

Pages are server-rendered and work without JavaScript. Nothing is loaded from anywhere else
(no third-party scripts, fonts or trackers), and the Content-Security-Policy says so, so even
an injected tag could not phone home.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from services.common.texts import TEXTS

COMMON_DIR = Path(__file__).parent / "web"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_COOKIE = "lang"


def content_security_policy(form_targets: Sequence[str] = ()) -> str:
    """The pages' policy; `form_targets` are the other origins a page's forms may post to
    (the tracker's status page posts files to intake)."""
    return "; ".join(
        (
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self' data:",
            "script-src 'self'",
            "worker-src 'self'",
            "connect-src 'self'",
            " ".join(("form-action 'self'", *form_targets)),
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an address, for a CSP source."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


CONTENT_SECURITY_POLICY = content_security_policy()

# Pages may hold a tracking code or what a reporter typed: no cache keeps them, no referrer
# tells the next site where the reporter came from, no frame can overlay them.
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def choose_language(request: Request, asked: str | None = None) -> str:
    """`?lang=` (or a form field) first, then the cookie a switch left, then Chinese."""
    for candidate in (asked, request.query_params.get("lang"), request.cookies.get("lang")):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


class Pages:
    """Renders one service's templates (its own folder first, then the shared one)."""

    def __init__(self, service_templates: Path, *, form_targets: Sequence[str] = ()) -> None:
        self.headers = {
            **PAGE_HEADERS,
            "Content-Security-Policy": content_security_policy(form_targets),
        }
        self.environment = Environment(
            loader=ChoiceLoader(
                [FileSystemLoader(service_templates), FileSystemLoader(COMMON_DIR / "templates")]
            ),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.do"],
        )

    def render(
        self,
        request: Request,
        template: str,
        *,
        lang: str,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        text: Mapping[str, str] = TEXTS[lang]
        other_lang = "en" if lang == "zh" else "zh"
        # The switch keeps the rest of the address (a QR code's campaign, say).
        query = {**request.query_params, "lang": other_lang}
        body = self.environment.get_template(template).render(
            t=text,
            lang=lang,
            other_lang=other_lang,
            switch_language_href=f"{request.url.path}?{urlencode(query)}",
            **context,
        )
        response = HTMLResponse(body, status_code=status_code, headers=self.headers)
        if request.query_params.get("lang") in LANGUAGES:
            # Remember the switch for the next page (a preference, not an identifier).
            response.set_cookie(
                LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="strict", httponly=True
            )
        return response


def static_router() -> APIRouter:
    """The shared stylesheet, served by each service from its own origin."""
    router = APIRouter(include_in_schema=False)
    stylesheet = (COMMON_DIR / "static" / "site.css").read_bytes()

    @router.get("/static/site.css")
    async def site_css() -> Response:
        return Response(
            stylesheet,
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return router


# What each refusal of services/common/limits.py says on a page.
REFUSAL_TEXTS = {
    "too_large": "too_large_body",
    "body_timeout": "body_timeout_body",
    "busy": "busy_body",
    "outage": "outage_body",
}


REFUSAL_TITLES = {"outage": "outage_title", "too_large": "form_too_large_title"}


def refusal_page(
    pages: Pages, link: str, link_key: str
) -> Callable[[Request, int, str, Mapping[str, int]], Response]:
    """The reporter's page for a request a server limit refused, or for a database outage, in
    their language, with a link back (`link`, labelled `TEXTS[lang][link_key]`)."""

    def render(request: Request, status: int, problem: str, figures: Mapping[str, int]) -> Response:
        # A page that read its form first leaves the language it found in the request's state.
        lang = choose_language(request, getattr(request.state, "lang", None))
        text = TEXTS[lang]
        return pages.render(
            request,
            "refusal.html",
            lang=lang,
            status_code=status,
            heading=text[REFUSAL_TITLES.get(problem, "refused_title")],
            body=text[REFUSAL_TEXTS[problem]].format(**figures),
            link=f"{link}?lang={lang}",
            link_label=text[link_key],
        )

    return render
