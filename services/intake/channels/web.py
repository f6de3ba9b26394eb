"""The reporting website and staff entry, served by intake.

Every page posts to the same `submit` as the JSON API (same validation, storage and event).
Pages work without JavaScript; see README "Channels" for the choices made here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import URL
from starlette.requests import ClientDisconnect

from services.common.auth import Principal, Role, StaffAuth, forbidden
from services.common.events import Channel
from services.common.pages import LANGUAGES, PAGE_HEADERS, Pages, choose_language, static_router
from services.common.settings import IntakeSettings
from services.common.texts import METADATA_ZH, TEXTS
from services.intake.channels import forms
from services.intake.channels.abuse import ProofOfWork, RateLimiter
from services.intake.reports.domain import ReportAccepted
from services.intake.evidence.domain import EvidenceRefused
from services.intake.evidence.api import MAX_FILENAME_CHARS, ReporterUploads
from services.intake.evidence.adapters import EvidenceLimits, StoredEvidence, TooLarge, TooMany
from services.intake.evidence.multipart import MalformedForm, MultipartStream, boundary_of
from services.intake.channels.qr import qr_router
from services.intake.channels.webhooks import webhooks_router

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "web"
STAFF_COOKIE = "tipline_staff"
# Larger than any valid report (20,000 characters, percent-encoded), small enough to refuse
# a flood at once.
MAX_FORM_BYTES = 512 * 1024
STAFF_CHANNELS = {"phone": Channel.PHONE, "letter": Channel.LETTER}
# What a multipart form adds around its files (boundaries, part headers, code, language).
FORM_OVERHEAD_BYTES = 64 * 1024


def derived_key(secret: bytes, purpose: bytes) -> bytes:
    """A key of its own for each use, from the one tracking-code secret every instance shares."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form (the only kind these pages send), refused when oversized."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(status_code=413, detail="the form is too large")
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def clerk_from(auth: StaffAuth, authorization: str | None) -> Principal:
    """The signed-in clerk: 401 without a valid token, 403 for another role (as `require`)."""
    principal = auth.authenticate(authorization)
    if principal.role is not Role.CLERK:
        raise forbidden(f"the {principal.role.value} role may not do this; it needs clerk")
    return principal


def megabytes(size: int) -> str:
    return f"{round(size / 1048576, 1):g}"


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1048576:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1048576:.1f} MB"


def limits_text(lang: str, limits: EvidenceLimits) -> str:
    return TEXTS[lang]["attach_limits"].format(
        files=limits.max_files_per_report,
        file_mb=megabytes(limits.max_file_bytes),
        document_mb=megabytes(limits.max_document_bytes),
    )


def refusal_text(lang: str, exc: EvidenceRefused | TooLarge, limits: EvidenceLimits) -> str:
    """Why a file was refused, in the reader's language. English gives the store's own reason
    (it never quotes the file); Chinese gives the kind of refusal with the limits."""
    key = (
        "upload_too_large"
        if isinstance(exc, TooLarge)
        else "upload_too_many"
        if isinstance(exc, TooMany)
        else "upload_refused"
    )
    return TEXTS[lang][key].format(
        reason=exc.reason[:1].upper() + exc.reason[1:],
        files=limits.max_files_per_report,
        file_mb=megabytes(limits.max_file_bytes),
        document_mb=megabytes(limits.max_document_bytes),
        report_mb=megabytes(limits.max_report_bytes),
    )


def stored_view(lang: str, stored: StoredEvidence) -> dict[str, Any]:
    """One stored file as the reporter sees it: type, size, what was removed and what not."""
    text = TEXTS[lang]
    removed, kept = stored.metadata_removed, stored.metadata_kept
    if lang == "zh":
        removed = [METADATA_ZH.get(what, what) for what in removed]
    kind = "metadata_kept_document" if stored.kind == "document" else "metadata_kept_media"
    kept = [text[kind]] if kept else []
    return {"type": stored.type, "size": size_text(stored.size), "removed": removed, "kept": kept}


def safe_filename(name: str | None) -> str | None:
    """The name a browser sent, without any folder (old browsers send the whole path), at most
    MAX_FILENAME_CHARS keeping the end (the extension). Stored sealed, never shown or logged."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[-MAX_FILENAME_CHARS:] or None


def channels_router(settings: IntakeSettings, uploads: ReporterUploads) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    pages = Pages(WEB_DIR / "templates")
    secret = settings.tracking_code_secret.get_secret_value().encode()
    proof = ProofOfWork(
        derived_key(secret, b"tipline web proof of work"), settings.proof_of_work_bits
    )
    limiter = RateLimiter(
        settings.web_submissions_per_hour, settings.web_submissions_per_hour_without_proof
    )
    csrf_key = derived_key(secret, b"tipline staff csrf")
    secure_cookies = settings.intake_public_url.startswith("https://")
    status_page = settings.public_base_url.rstrip("/") + "/status"
    scripts = {
        name: (WEB_DIR / "static" / name).read_bytes() for name in ("report.js", "pow-worker.js")
    }

    router.include_router(static_router())
    router.include_router(qr_router(settings))
    router.include_router(webhooks_router(settings))

    @router.get("/static/{name}")
    async def script(name: str) -> Response:
        if name not in scripts:
            raise HTTPException(status_code=404, detail="no such file")
        return Response(
            scripts[name],
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    def form_page(
        request: Request,
        lang: str,
        *,
        template: str = "form.html",
        action: str = "/report",
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        campaign: str | None = None,
        status_code: int = 200,
        **extra: Any,
    ) -> HTMLResponse:
        text = TEXTS[lang]
        labels = {
            "narrative": text["narrative_label"],
            "location.province": text["province_label"],
            "location.city": text["city_label"],
            "location.details": text["location_details_label"],
            "incident_time": text["when_label"],
            "people_involved": text["people_label"],
            "organisations_involved": text["organisations_label"],
            "contact.name": text["contact_name_label"],
            "contact.phone": text["contact_phone_label"],
            "contact.email": text["contact_email_label"],
            "contact.messaging_handle": text["contact_handle_label"],
            "source_reference": text["staff_reference_label"],
        }
        values = values or {}
        return pages.render(
            request,
            template,
            lang=lang,
            status_code=status_code,
            action=action,
            values=values,
            errors=errors or {},
            labels=labels,
            campaign=campaign,
            contact_open=any(k.startswith("contact.") and v for k, v in values.items())
            or any(k.startswith("contact.") for k in errors or {}),
            submission_id=values.get("submission_id") or secrets.token_urlsafe(16),
            pow_challenge=proof.challenge(time.time()),
            pow_bits=proof.bits,
            **extra,
        )

    def problems_in(lang: str, found: dict[str, dict[str, Any]]) -> dict[str, str]:
        return {field: forms.reason(problem, TEXTS[lang]) for field, problem in found.items()}

    async def submit(
        request: Request, form: dict[str, str], data: dict[str, Any]
    ) -> ReportAccepted | dict[str, str]:
        parsed = forms.parse_report(data)
        if not isinstance(parsed, forms.ReportIn):
            return problems_in(form.get("lang", "zh"), parsed)
        # The page's own submission id makes a double click or a reload give back the same
        # code instead of a second report.
        submission_id = form.get("submission_id", "")
        key = f"web:{submission_id}" if 8 <= len(submission_id) <= 100 else None
        answer = await request.app.state.submit(parsed, key)
        if not isinstance(answer, ReportAccepted):
            # The same id with a different report: the reporter went back and changed it.
            answer = await request.app.state.submit(parsed, None)
        return answer

    @router.get("/", response_class=HTMLResponse)
    async def report_form(
        request: Request, via: str | None = None, campaign: str | None = None
    ) -> HTMLResponse:
        tag = forms.campaign_or_none(campaign) if via == "qr" else None
        return form_page(request, choose_language(request), campaign=tag, values={"via": via or ""})

    @router.get("/report", response_model=None)
    async def report_page_again(request: Request) -> RedirectResponse:
        # A language switch on an answered form, or a bookmark: back to the empty form.
        return RedirectResponse(f"/?lang={choose_language(request)}", status_code=303)

    @router.post("/report", response_class=HTMLResponse)
    async def report_from_form(request: Request) -> HTMLResponse:
        form = await read_form(request)
        lang = choose_language(request, form.get("lang"))
        text = TEXTS[lang]
        campaign = forms.campaign_or_none(form.get("campaign"))
        proven = proof.verify(form.get("pow_challenge", ""), form.get("pow_nonce", ""), time.time())
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client, proven=proven, now=time.monotonic()):
            return pages.render(
                request,
                "message.html",
                lang=lang,
                status_code=429,
                heading=text["too_many_title"],
                body=text["too_many_body"],
            )
        data = forms.report_data(
            form,
            channel=Channel.QR if campaign or form.get("via") == "qr" else Channel.WEB,
            language=lang,
            campaign=campaign,
        )
        result = await submit(request, form, data)
        if isinstance(result, dict):
            return form_page(
                request, lang, values=form, errors=result, campaign=campaign, status_code=422
            )
        limiter.count(client, now=time.monotonic())
        return pages.render(
            request,
            "done.html",
            lang=lang,
            status_code=201,
            heading=text["done_title"],
            intro=text["code_intro"],
            tracking_code=result.tracking_code,
            status_url=f"{status_page}?lang={lang}",
            again_url=f"/?lang={lang}",
            again_label=text["new_report"],
            **attach_context(lang, result.tracking_code),
        )

    # Evidence files from the website. The form is multipart and is read as it streams
    # (services/intake/evidence/multipart.py): no part of a file is written to disk or held whole. The
    # tracking code is the authority, as for the JSON API (no session, so no CSRF token to
    # forge: a page elsewhere that posts here can only attach files to a report whose code it
    # already holds). It must come before the files, as browsers send fields in page order.

    def attach_context(lang: str, code: str | None) -> dict[str, Any]:
        return {
            "attach_action": "/evidence",
            "attach_code": code,
            "attach_limits": limits_text(lang, uploads.limits),
        }

    def evidence_page(
        request: Request,
        lang: str,
        *,
        heading_key: str = "attach_title",
        code: str | None = None,
        stored: list[StoredEvidence] | None = None,
        problem: str | None = None,
        problem_field: str | None = None,
        code_problem: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        text = TEXTS[lang]
        return pages.render(
            request,
            "evidence.html",
            lang=lang,
            status_code=status_code,
            heading=text[heading_key],
            stored=[stored_view(lang, file) for file in stored or []],
            stored_any_before=bool(stored) and problem_field == "files",
            problem=problem,
            problem_field=problem_field,
            code_problem=code_problem,
            status_url=f"{status_page}?lang={lang}",
            report_url=f"/?lang={lang}",
            **attach_context(lang, code),
        )

    @router.get("/evidence", response_class=HTMLResponse)
    async def evidence_form(request: Request) -> HTMLResponse:
        return evidence_page(request, choose_language(request))

    @router.post("/evidence", response_class=HTMLResponse)
    async def evidence_from_form(request: Request) -> HTMLResponse:
        lang = choose_language(request)
        limits = uploads.limits
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_report_bytes + FORM_OVERHEAD_BYTES:
            # More than a report may hold in all: refused before reading any of it.
            return evidence_page(
                request,
                lang,
                problem=refusal_text(
                    lang,
                    TooLarge(
                        f"the files of one report can be at most {limits.max_report_bytes} "
                        "bytes together"
                    ),
                    limits,
                ),
                problem_field="files",
                status_code=413,
            )
        try:
            boundary = boundary_of(request.headers.get("content-type"))
        except MalformedForm:
            return evidence_page(
                request,
                lang,
                problem=TEXTS[lang]["upload_malformed"],
                problem_field="body",
                status_code=400,
            )
        form = MultipartStream(request.stream(), boundary)
        report_id: str | None = None
        code: str | None = None
        stored: list[StoredEvidence] = []
        failure: tuple[int, str, str] | None = None  # status, field, text key or text
        try:
            async for part in form.parts():
                if not part.is_file:
                    value = await form.text()
                    if part.name == "lang" and value in LANGUAGES:
                        lang = value
                    elif part.name == "code" and report_id is None:
                        code = value.strip()[:100]
                        report_id = await uploads.report_for(request, code) if code else None
                        if report_id is None:
                            key = "code_unknown" if code else "upload_no_code"
                            failure = (404 if code else 422, "code", TEXTS[lang][key])
                            break
                    continue
                if report_id is None:
                    failure = (422, "code", TEXTS[lang]["upload_code_first"])
                    break
                if not part.filename:  # a file input left empty still sends an empty part
                    continue
                try:
                    stored.append(
                        await uploads.attach(
                            request,
                            report_id,
                            form.chunks(),
                            declared_type=part.content_type,
                            filename=safe_filename(part.filename),
                        )
                    )
                except TooLarge as exc:
                    failure = (413, "files", refusal_text(lang, exc, limits))
                    break
                except EvidenceRefused as exc:
                    failure = (422, "files", refusal_text(lang, exc, limits))
                    break
        except MalformedForm:
            failure = (400, "body", TEXTS[lang]["upload_malformed"])
        except ClientDisconnect:
            log.info("evidence form upload cut off by the client", extra={"count": len(stored)})
            failure = (400, "body", TEXTS[lang]["upload_malformed"])
        if failure is None and report_id is None:
            failure = (422, "code", TEXTS[lang]["upload_no_code"])
        if failure is None and not stored:
            failure = (422, "files", TEXTS[lang]["upload_no_files"])
        if failure is None:
            return evidence_page(
                request,
                lang,
                heading_key="attached_title",
                code=code,
                stored=stored,
                status_code=201,
            )
        # The browser may still be sending: read (and drop) the rest, within reason, so it
        # shows this answer rather than a broken connection.
        await form.drain(limits.max_file_bytes)
        status_code, field, problem = failure
        known = report_id is not None
        return evidence_page(
            request,
            lang,
            heading_key="attach_failed_title" if stored else "attach_title",
            code=code if known else None,
            stored=stored,
            problem=problem,
            problem_field=field,
            code_problem=problem if field == "code" else None,
            status_code=status_code,
        )

    # Staff entry. A clerk signs in by pasting the token issued to them; it is kept in an
    # HttpOnly, SameSite=Strict cookie (Secure on https) limited to /staff, and every form
    # carries a CSRF token bound to that token's id. An `Authorization: Bearer` header works
    # too, for tools.

    def csrf_for(principal: Principal) -> str:
        return hmac.new(csrf_key, principal.token_id.encode(), hashlib.sha256).hexdigest()

    def clerk(request: Request) -> Principal:
        auth: StaffAuth = request.app.state.staff_auth
        header = request.headers.get("authorization")
        cookie = request.cookies.get(STAFF_COOKIE)
        presented = header if header else f"Bearer {cookie}" if cookie else None
        return clerk_from(auth, presented)

    def to_sign_in(lang: str) -> RedirectResponse:
        return RedirectResponse(f"/staff/sign-in?lang={lang}", status_code=303)

    @router.get("/staff/sign-in", response_class=HTMLResponse)
    async def sign_in_page(request: Request) -> HTMLResponse:
        return pages.render(request, "staff_sign_in.html", lang=choose_language(request))

    @router.post("/staff/sign-in", response_model=None)
    async def sign_in(request: Request) -> Response:
        form = await read_form(request)
        lang = choose_language(request, form.get("lang"))
        token = form.get("token", "").strip()
        auth: StaffAuth = request.app.state.staff_auth
        try:
            principal = clerk_from(auth, f"Bearer {token}")
        except HTTPException as exc:
            reason = exc.detail.get("reason", "") if isinstance(exc.detail, dict) else ""
            return pages.render(
                request,
                "staff_sign_in.html",
                lang=lang,
                status_code=exc.status_code,
                problem=reason,
            )
        response = RedirectResponse(f"/staff/entry?lang={lang}", status_code=303)
        lifetime = int(principal.expires_at.timestamp() - time.time())
        response.set_cookie(
            STAFF_COOKIE,
            token,
            max_age=max(lifetime, 0),
            path="/staff",
            httponly=True,
            secure=secure_cookies,
            samesite="strict",
        )
        response.headers.update(PAGE_HEADERS)
        return response

    @router.post("/staff/sign-out", response_model=None)
    async def sign_out(request: Request) -> Response:
        form = await read_form(request)
        lang = choose_language(request)
        # Only this clerk's own page may sign them out (the CSRF token), or a dead session.
        try:
            principal: Principal | None = clerk(request)
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
    async def staff_entry_page(request: Request) -> Response:
        lang = choose_language(request)
        try:
            principal = clerk(request)
        except HTTPException as exc:
            if exc.status_code == 401:
                return to_sign_in(lang)
            raise
        return form_page(
            request,
            lang,
            template="staff_entry.html",
            action="/staff/entry",
            csrf=csrf_for(principal),
        )

    @router.post("/staff/entry", response_class=HTMLResponse)
    async def staff_entry(request: Request) -> HTMLResponse:
        form = await read_form(request)
        lang = choose_language(request, form.get("lang"))
        text = TEXTS[lang]
        principal = clerk(request)
        csrf = csrf_for(principal)
        if not hmac.compare_digest(form.get("csrf", ""), csrf):
            raise HTTPException(status_code=403, detail=text["staff_bad_session"])
        channel = STAFF_CHANNELS.get(form.get("channel", ""), Channel.PHONE)
        data = forms.report_data(form, channel=channel, language=lang)
        result = await submit(request, form, data)
        if isinstance(result, dict):
            return form_page(
                request,
                lang,
                template="staff_entry.html",
                action="/staff/entry",
                values=form,
                errors=result,
                csrf=csrf,
                status_code=422,
            )
        return pages.render(
            request,
            "done.html",
            lang=lang,
            status_code=201,
            heading=text["staff_done_title"],
            intro=text["staff_code_intro"],
            tracking_code=result.tracking_code,
            status_url=f"{status_page}?lang={lang}",
            again_url=str(URL("/staff/entry").include_query_params(lang=lang)),
            again_label=text["staff_next"],
            **attach_context(lang, result.tracking_code),
        )

    assert set(LANGUAGES) == set(TEXTS)
    return router
