"""The reporter's status page, served by the tracker.

The code is POSTed, never put in a URL: a URL stays in the browser's history, in proxies'
logs and in referrers, and a shared phone's history must not give a report away. The check
character is checked before any lookup, so a typo gets its own message at once; an unknown
code gets the same message whether it never existed or was mistyped in a way the check
character cannot catch. Well-formed codes are looked up through the tracker's throttled
lookup, like the JSON API's.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from services.common import tracking_code
from services.common.pages import Pages, choose_language, static_router
from services.common.settings import TrackerSettings
from services.common.texts import TEXTS

# A tracking code with spaces and hyphens, and the language: nothing larger is ever needed.
MAX_FORM_BYTES = 4096


def status_router(settings: TrackerSettings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.include_router(static_router())
    pages = Pages(Path(__file__).parent / "web" / "templates")

    def report_url(lang: str) -> str:
        return f"{settings.intake_public_url.rstrip('/')}/?lang={lang}"

    @router.get("/status", response_class=HTMLResponse)
    async def status_form(request: Request) -> HTMLResponse:
        lang = choose_language(request)
        return pages.render(request, "status.html", lang=lang, code="", report_url=report_url(lang))

    @router.post("/status", response_class=HTMLResponse)
    async def status_page(request: Request) -> HTMLResponse:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(status_code=413, detail="the form is too large")
        form = dict(parse_qsl(body.decode("utf-8", errors="replace")))
        lang = choose_language(request, form.get("lang"))
        typed = form.get("code", "")[:100]
        normalized = tracking_code.normalize(typed)
        if normalized is None:
            return pages.render(
                request,
                "status.html",
                lang=lang,
                status_code=422,
                problem=TEXTS[lang]["code_typo"],
                code=typed,
                report_url=report_url(lang),
            )
        # Through the tracker's one lookup function, which throttles repeated failures.
        case = await request.app.state.find_case_by_code(request, normalized)
        if case is None:
            return pages.render(
                request,
                "status.html",
                lang=lang,
                status_code=404,
                problem=TEXTS[lang]["code_unknown"],
                code=typed,
                report_url=report_url(lang),
            )
        return pages.render(
            request,
            "status.html",
            lang=lang,
            status=await request.app.state.reporter_status(request, case),
            code=tracking_code.format_code(normalized),
            report_url=report_url(lang),
        )

    return router
