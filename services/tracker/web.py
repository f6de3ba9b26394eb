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
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from services.common import tracking_code
from services.common.pages import Pages, choose_language, origin_of, static_router
from services.common.service_index import service_index, wants_html
from services.common.settings import TrackerSettings
from services.common.texts import TEXTS

# A tracking code, the language and a message of up to 5,000 characters, percent-encoded.
MAX_FORM_BYTES = 64 * 1024


def status_router(settings: TrackerSettings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.include_router(static_router())
    intake = settings.intake_public_url.rstrip("/")
    # The "add files" form posts to intake's upload page, so that origin may receive forms.
    pages = Pages(Path(__file__).parent / "web" / "templates", form_targets=[origin_of(intake)])

    def report_url(lang: str) -> str:
        return f"{settings.intake_public_url.rstrip('/')}/?lang={lang}"

    @router.get("/", response_model=None)
    async def index(request: Request) -> Response:
        """What this service is and where to go: a page for a browser, JSON for a tool."""
        if wants_html(request):
            lang = choose_language(request)
            return pages.render(request, "index.html", lang=lang, report_url=report_url(lang))
        links = {"status_page": "/status", "reporting_site": intake, "track": "/v1/track/{code}"}
        summary = "Reporters follow their report here by tracking code; staff work cases."
        return JSONResponse(service_index("tracker", summary, links))

    @router.get("/status", response_class=HTMLResponse)
    async def status_form(request: Request) -> HTMLResponse:
        lang = choose_language(request)
        return pages.render(request, "status.html", lang=lang, code="", report_url=report_url(lang))

    async def read_form(request: Request) -> dict[str, str] | None:
        """The urlencoded form, or None when it is larger than any these pages send (read no
        further than that, then answered with the page and its error)."""
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return None
        return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))

    def too_large(request: Request) -> HTMLResponse:
        lang = choose_language(request)
        problem = TEXTS[lang]["status_too_large"].format(kb=MAX_FORM_BYTES // 1024)
        return pages.render(
            request,
            "status.html",
            lang=lang,
            status_code=413,
            problem=problem,
            code="",
            report_url=report_url(lang),
        )

    async def show(
        request: Request,
        lang: str,
        typed: str,
        *,
        status_code: int = 200,
        **extra: Any,
    ) -> HTMLResponse:
        """The status page for what was typed: the typo message before any lookup, the same
        "no report matches" for every code that finds nothing, else the case."""
        normalized = tracking_code.normalize(typed)
        common: dict[str, Any] = {"lang": lang, "report_url": report_url(lang)}
        if typed.strip():  # the switch shows this same page in the other language
            common["switch_form"] = {"action": "/status", "fields": {"code": typed}}
        if normalized is None:
            problem = TEXTS[lang]["code_typo" if typed.strip() else "code_empty"]
            return pages.render(
                request, "status.html", status_code=422, problem=problem, code=typed, **common
            )
        # Through the tracker's one lookup function, which throttles repeated failures.
        case = await request.app.state.find_case_by_code(request, normalized)
        if case is None:
            problem = TEXTS[lang]["code_unknown"]
            return pages.render(
                request, "status.html", status_code=404, problem=problem, code=typed, **common
            )
        code = tracking_code.format_code(normalized)
        return pages.render(
            request,
            "status.html",
            status_code=status_code,
            status=await request.app.state.reporter_status(request, case),
            code=code,
            # Files go to intake, which stores them; the code goes along in a hidden field.
            attach_action=f"{intake}/evidence",
            attach_code=code,
            **common,
            **extra,
        )

    @router.post("/status", response_class=HTMLResponse)
    async def status_page(request: Request) -> HTMLResponse:
        form = await read_form(request)
        if form is None:
            return too_large(request)
        lang = choose_language(request, form.get("lang"))
        return await show(request, lang, form.get("code", "")[:100])

    @router.post("/status/message", response_class=HTMLResponse)
    async def status_message(request: Request) -> HTMLResponse:
        """Adds information or answers a question, through the JSON API's own path."""
        form = await read_form(request)
        if form is None:
            return too_large(request)
        lang = choose_language(request, form.get("lang"))
        text, typed = form.get("text", ""), form.get("code", "")[:100]
        if tracking_code.normalize(typed) is None:
            return await show(request, lang, typed)
        if not text.strip():
            problem = TEXTS[lang]["field_required"]
            return await show(request, lang, typed, status_code=422, message_problem=problem)
        try:
            answer = await request.app.state.add_reporter_message(
                request, typed, text, form.get("in_reply_to") or None
            )
        except ValidationError:
            return await show(
                request,
                lang,
                typed,
                status_code=422,
                message_problem=TEXTS[lang]["field_too_long"].format(max=5000),
                message_text=text,
            )
        except HTTPException:  # a question id that is not this case's
            return await show(request, lang, typed, status_code=422, message_text=text)
        if isinstance(answer, JSONResponse):
            if answer.status_code == 404:
                return await show(request, lang, typed)
            notice = TEXTS[lang]["message_refused"]
            return await show(
                request, lang, typed, status_code=409, notice=notice, message_text=text
            )
        return await show(request, lang, typed, notice=TEXTS[lang]["message_sent"])

    return router
