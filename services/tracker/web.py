"""The reporter's status page, served by the tracker.

The code is POSTed, never put in a URL: a URL stays in the browser's history, in proxies'
logs and in referrers, and a shared phone's history must not give a report away. The check
character is checked before any lookup, so a typo gets its own message at once; an unknown
code gets the same message whether it never existed or was mistyped in a way the check
character cannot catch. Well-formed codes are looked up through the tracker's throttled
lookup, like the JSON API's, and messages go through the same use case.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from services.common import tracking_code
from services.common.pages import Pages, choose_language, origin_of, static_router
from services.common.service_index import service_index, wants_html
from services.common.settings import TrackerSettings
from services.common.texts import TEXTS
from services.common.throttle import TooManyGuesses
from services.tracker import workflow
from services.tracker.deps import CodeLookupDep, TrackerDep
from services.tracker.routes.tracking import ReporterMessage, client_address

# A tracking code, the language and a message of up to 5,000 characters, percent-encoded.
MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request) -> dict[str, str] | None:
    """The urlencoded form, or None when it is larger than any these pages send (read no
    further than that, then answered with the page and its error)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


class StatusPage:
    """The status page in the reader's language, for what they typed."""

    def __init__(self, settings: TrackerSettings) -> None:
        self.intake = settings.intake_public_url.rstrip("/")
        # The "add files" form posts to intake's upload page, so that origin may receive forms.
        self.pages = Pages(
            Path(__file__).parent / "web" / "templates", form_targets=[origin_of(self.intake)]
        )

    def report_url(self, lang: str) -> str:
        return f"{self.intake}/?lang={lang}"

    def blank(self, request: Request, lang: str) -> HTMLResponse:
        return self.pages.render(
            request, "status.html", lang=lang, code="", report_url=self.report_url(lang)
        )

    def too_large(self, request: Request) -> HTMLResponse:
        lang = choose_language(request)
        problem = TEXTS[lang]["status_too_large"].format(kb=MAX_FORM_BYTES // 1024)
        return self.pages.render(
            request,
            "status.html",
            lang=lang,
            status_code=413,
            problem=problem,
            code="",
            report_url=self.report_url(lang),
        )

    def too_many_guesses(
        self, request: Request, lang: str, exc: TooManyGuesses, common: dict[str, Any]
    ) -> HTMLResponse:
        problem = TEXTS[lang]["code_too_many"].format(seconds=exc.retry_after)
        page = self.pages.render(
            request, "status.html", status_code=429, problem=problem, code="", **common
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page

    async def show(
        self,
        request: Request,
        tracker: workflow.Tracker,
        lookup: workflow.CodeLookup,
        lang: str,
        typed: str,
        *,
        status_code: int = 200,
        **extra: Any,
    ) -> HTMLResponse:
        """The typo message before any lookup, the same "no report matches" for every code
        that finds nothing, else the case."""
        normalized = tracking_code.normalize(typed)
        common: dict[str, Any] = {"lang": lang, "report_url": self.report_url(lang)}
        if typed.strip():  # the switch shows this same page in the other language
            common["switch_form"] = {"action": "/status", "fields": {"code": typed}}
        if normalized is None:
            problem = TEXTS[lang]["code_typo" if typed.strip() else "code_empty"]
            return self.pages.render(
                request, "status.html", status_code=422, problem=problem, code=typed, **common
            )
        # Through the tracker's one lookup, which throttles repeated failures.
        try:
            case = await lookup.find(normalized, client_address(request))
        except TooManyGuesses as exc:
            return self.too_many_guesses(request, lang, exc, common)
        if case is None:
            problem = TEXTS[lang]["code_unknown"]
            return self.pages.render(
                request, "status.html", status_code=404, problem=problem, code=typed, **common
            )
        code = tracking_code.format_code(normalized)
        return self.pages.render(
            request,
            "status.html",
            status_code=status_code,
            status=await workflow.reporter_status(tracker, case),
            code=code,
            # Files go to intake, which stores them; the code goes along in a hidden field.
            attach_action=f"{self.intake}/evidence",
            attach_code=code,
            **common,
            **extra,
        )


async def send_message(
    page: StatusPage, request: Request, tracker: workflow.Tracker, lookup: workflow.CodeLookup
) -> HTMLResponse:
    """Adds information or answers a question, through the JSON API's own use case."""
    form = await read_form(request)
    if form is None:
        return page.too_large(request)
    lang = choose_language(request, form.get("lang"))
    text, typed = form.get("text", ""), form.get("code", "")[:100]
    show = partial(page.show, request, tracker, lookup, lang, typed)
    if tracking_code.normalize(typed) is None:
        return await show()
    if not text.strip():
        return await show(status_code=422, message_problem=TEXTS[lang]["field_required"])
    try:
        # The JSON API's checks, before anything is looked up.
        message = ReporterMessage(text=text, in_reply_to=form.get("in_reply_to") or None)
    except ValidationError:
        return await show(
            status_code=422,
            message_problem=TEXTS[lang]["field_too_long"].format(max=5000),
            message_text=text,
        )
    try:
        found = await lookup.find(typed, client_address(request))
    except TooManyGuesses as exc:
        common = {"lang": lang, "report_url": page.report_url(lang)}
        return page.too_many_guesses(request, lang, exc, common)
    if found is None:
        return await show()
    try:
        await workflow.add_reporter_message(
            tracker, found["_id"], message.text, message.in_reply_to
        )
    except workflow.InvalidField:  # a question id that is not this case's
        return await show(status_code=422, message_text=text)
    except (workflow.CaseFinished, workflow.TooManyMessages):
        notice = TEXTS[lang]["message_refused"]
        return await show(status_code=409, notice=notice, message_text=text)
    return await show(notice=TEXTS[lang]["message_sent"])


def status_router(settings: TrackerSettings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.include_router(static_router())
    page = StatusPage(settings)

    @router.get("/", response_model=None)
    async def index(request: Request) -> Response:
        """What this service is and where to go: a page for a browser, JSON for a tool."""
        if wants_html(request):
            lang = choose_language(request)
            return page.pages.render(
                request, "index.html", lang=lang, report_url=page.report_url(lang)
            )
        links = {
            "status_page": "/status",
            "reporting_site": page.intake,
            "track": "/v1/track/{code}",
        }
        summary = "Reporters follow their report here by tracking code; staff work cases."
        return JSONResponse(service_index("tracker", summary, links))

    @router.get("/status", response_class=HTMLResponse)
    async def status_form(request: Request) -> HTMLResponse:
        return page.blank(request, choose_language(request))

    @router.post("/status", response_class=HTMLResponse)
    async def status_page(
        request: Request, tracker: TrackerDep, lookup: CodeLookupDep
    ) -> HTMLResponse:
        form = await read_form(request)
        if form is None:
            return page.too_large(request)
        lang = choose_language(request, form.get("lang"))
        request.state.lang = lang  # for an outage's page (services/common/limits.py)
        return await page.show(request, tracker, lookup, lang, form.get("code", "")[:100])

    @router.post("/status/message", response_class=HTMLResponse)
    async def status_message(
        request: Request, tracker: TrackerDep, lookup: CodeLookupDep
    ) -> HTMLResponse:
        return await send_message(page, request, tracker, lookup)

    return router
