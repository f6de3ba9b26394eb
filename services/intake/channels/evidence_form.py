"""The website's evidence page: a reporter attaches files to their report with its code.

The form is multipart and is read as it streams (services/intake/evidence/multipart.py): no
part of a file is written to disk or held whole. The tracking code is the authority, as for the
JSON API (no session, so no CSRF token to forge: a page elsewhere that posts here can only
attach files to a report whose code it already holds). It must come before the files, as
browsers send fields in page order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.requests import ClientDisconnect

from services.common.pages import LANGUAGES, choose_language
from services.common.texts import TEXTS
from services.common.throttle import TooManyGuesses
from services.intake.channels.pages import Site, refusal_text
from services.intake.deps import Uploads
from services.intake.evidence.adapters import StoredEvidence, TooLarge
from services.intake.evidence.api import MAX_FILENAME_CHARS
from services.intake.evidence.domain import EvidenceRefused
from services.intake.evidence.multipart import MalformedForm, MultipartStream, boundary_of
from services.intake.evidence.uploads import ReporterUploads

log = logging.getLogger(__name__)

# What a multipart form adds around its files (boundaries, part headers, code, language).
FORM_OVERHEAD_BYTES = 64 * 1024


def safe_filename(name: str | None) -> str | None:
    """The name a browser sent, without any folder (old browsers send the whole path), at most
    MAX_FILENAME_CHARS keeping the end (the extension). Stored sealed, never shown or logged."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[-MAX_FILENAME_CHARS:] or None


@dataclass
class FormUpload:
    """What one posted evidence form came to."""

    lang: str
    report_id: str | None = None
    code: str | None = None
    stored: list[StoredEvidence] = field(default_factory=list)
    failure: tuple[int, str, str] | None = None  # status, field, text
    retry_after: int | None = None  # seconds, when refused for too many unknown codes


async def read_upload(
    request: Request, form: MultipartStream, uploads: ReporterUploads, upload: FormUpload
) -> None:
    """Reads the form into `upload` as it streams: the language, then the code, then each file,
    stored as it arrives. Stops at the first problem; what came before it stays recorded."""
    client = request.client.host if request.client else None
    async for part in form.parts():
        if not part.is_file:
            value = await form.text()
            if part.name == "lang" and value in LANGUAGES:
                upload.lang = value
            elif part.name == "code" and upload.report_id is None:
                upload.code = value.strip()[:100]
                code = upload.code
                try:
                    upload.report_id = await uploads.report_for(client, code) if code else None
                except TooManyGuesses as exc:
                    text = TEXTS[upload.lang]["code_too_many"].format(seconds=exc.retry_after)
                    upload.failure = (429, "code", text)
                    upload.retry_after = exc.retry_after
                    return
                if upload.report_id is None:
                    key = "code_unknown" if code else "upload_no_code"
                    upload.failure = (404 if code else 422, "code", TEXTS[upload.lang][key])
                    return
            continue
        if upload.report_id is None:
            upload.failure = (422, "code", TEXTS[upload.lang]["upload_code_first"])
            return
        if not part.filename:  # a file input left empty still sends an empty part
            continue
        try:
            upload.stored.append(
                await uploads.attach(
                    upload.report_id,
                    form.chunks(),
                    declared_type=part.content_type,
                    filename=safe_filename(part.filename),
                )
            )
        except TooLarge as exc:
            upload.failure = (413, "files", refusal_text(upload.lang, exc, uploads.limits))
            return
        except EvidenceRefused as exc:
            upload.failure = (422, "files", refusal_text(upload.lang, exc, uploads.limits))
            return


def evidence_form_router(site: Site) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/evidence", response_class=HTMLResponse)
    async def evidence_form(request: Request) -> HTMLResponse:
        return site.evidence_page(request, choose_language(request))

    @router.post("/evidence", response_class=HTMLResponse)
    async def evidence_from_form(request: Request, uploads: Uploads) -> HTMLResponse:
        lang = choose_language(request)
        limits = uploads.limits
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_report_bytes + FORM_OVERHEAD_BYTES:
            # More than a report may hold in all: refused before reading any of it.
            too_large = TooLarge(
                f"the files of one report can be at most {limits.max_report_bytes} bytes together"
            )
            return site.evidence_page(
                request,
                lang,
                problem=refusal_text(lang, too_large, limits),
                problem_field="files",
                status_code=413,
            )
        try:
            boundary = boundary_of(request.headers.get("content-type"))
        except MalformedForm:
            return site.evidence_page(
                request,
                lang,
                problem=TEXTS[lang]["upload_malformed"],
                problem_field="body",
                status_code=400,
            )
        form = MultipartStream(request.stream(), boundary)
        upload = FormUpload(lang=lang)
        try:
            await read_upload(request, form, uploads, upload)
        except MalformedForm:
            upload.failure = (400, "body", TEXTS[upload.lang]["upload_malformed"])
        except ClientDisconnect:
            log.info(
                "evidence form upload cut off by the client", extra={"count": len(upload.stored)}
            )
            upload.failure = (400, "body", TEXTS[upload.lang]["upload_malformed"])
        return await answer(request, site, form, upload, limits.max_file_bytes)

    return router


async def answer(
    request: Request, site: Site, form: MultipartStream, upload: FormUpload, drain_bytes: int
) -> HTMLResponse:
    lang, stored = upload.lang, upload.stored
    failure = upload.failure
    if failure is None and upload.report_id is None:
        failure = (422, "code", TEXTS[lang]["upload_no_code"])
    if failure is None and not stored:
        failure = (422, "files", TEXTS[lang]["upload_no_files"])
    if failure is None:
        return site.evidence_page(
            request,
            lang,
            heading_key="attached_title",
            code=upload.code,
            stored=stored,
            status_code=201,
        )
    # The browser may still be sending: read (and drop) the rest, within reason, so it
    # shows this answer rather than a broken connection.
    await form.drain(drain_bytes)
    status_code, problem_field, problem = failure
    known = upload.report_id is not None
    page = site.evidence_page(
        request,
        lang,
        heading_key="attach_failed_title" if stored else "attach_title",
        code=upload.code if known else None,
        stored=stored,
        problem=problem,
        problem_field=problem_field,
        code_problem=problem if problem_field == "code" else None,
        status_code=status_code,
    )
    if upload.retry_after is not None:
        page.headers["Retry-After"] = str(upload.retry_after)
    return page
