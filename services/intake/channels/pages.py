"""What every page of the reporting website and staff entry shares: the rendered form, the
evidence page, the proof of work and the limits, and the texts they show."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from services.common.pages import Pages
from services.common.settings import IntakeSettings
from services.common.texts import METADATA_ZH, TEXTS
from services.intake.channels import forms
from services.intake.channels.abuse import ProofOfWork
from services.intake.evidence.adapters import EvidenceLimits, StoredEvidence, TooLarge, TooMany
from services.intake.evidence.domain import EvidenceRefused
from services.intake.evidence.uploads import limits_from
from services.intake.reports.domain import ReportAccepted
from services.intake.reports.submit import SubmitReport

WEB_DIR = Path(__file__).parent / "web"
# Larger than any valid report (20,000 characters, percent-encoded), small enough to refuse
# a flood at once.
MAX_FORM_BYTES = 512 * 1024
# The fields of a report form, by the label each is shown with.
FIELD_LABELS = {
    "narrative": "narrative_label",
    "location.province": "province_label",
    "location.city": "city_label",
    "location.details": "location_details_label",
    "incident_time": "when_label",
    "people_involved": "people_label",
    "organisations_involved": "organisations_label",
    "contact.name": "contact_name_label",
    "contact.phone": "contact_phone_label",
    "contact.email": "contact_email_label",
    "contact.messaging_handle": "contact_handle_label",
    "source_reference": "staff_reference_label",
}


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


def problems_in(lang: str, found: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {field: forms.reason(problem, TEXTS[lang]) for field, problem in found.items()}


async def submit_form(
    submit: SubmitReport, form: dict[str, str], data: dict[str, Any]
) -> ReportAccepted | dict[str, str]:
    """The tracking code for a form's report, or what is wrong with it, field by field."""
    parsed = forms.parse_report(data)
    if not isinstance(parsed, forms.ReportIn):
        return problems_in(form.get("lang", "zh"), parsed)
    # The page's own submission id makes a double click or a reload give back the same
    # code instead of a second report.
    submission_id = form.get("submission_id", "")
    key = f"web:{submission_id}" if 8 <= len(submission_id) <= 100 else None
    answer = await submit(parsed, key)
    if not isinstance(answer, ReportAccepted):
        # The same id with a different report: the reporter went back and changed it.
        answer = await submit(parsed, None)
    assert isinstance(answer, ReportAccepted), "a report without a key is always new"
    return answer


@dataclass
class Site:
    """The website's pages of one intake process."""

    pages: Pages
    proof: ProofOfWork
    limits: EvidenceLimits
    status_page: str
    # The code page's language switch carries the code back; this key's seal shows intake
    # made that page.
    code_page_key: bytes

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> Site:
        secret = settings.tracking_code_secret.get_secret_value().encode()
        return cls(
            pages=Pages(WEB_DIR / "templates"),
            proof=ProofOfWork(
                derived_key(secret, b"tipline web proof of work"), settings.proof_of_work_bits
            ),
            limits=limits_from(settings),
            status_page=settings.public_base_url.rstrip("/") + "/status",
            code_page_key=derived_key(secret, b"tipline code page"),
        )

    def status_url(self, lang: str) -> str:
        return f"{self.status_page}?lang={lang}"

    def form_page(
        self,
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
        values = values or {}
        return self.pages.render(
            request,
            template,
            lang=lang,
            status_code=status_code,
            action=action,
            values=values,
            errors=errors or {},
            labels={field: text[label] for field, label in FIELD_LABELS.items()},
            campaign=campaign,
            contact_open=any(k.startswith("contact.") and v for k, v in values.items())
            or any(k.startswith("contact.") for k in errors or {}),
            submission_id=values.get("submission_id") or secrets.token_urlsafe(16),
            pow_challenge=self.proof.challenge(time.time()),
            pow_bits=self.proof.bits,
            **extra,
        )

    def attach_context(self, lang: str, code: str | None) -> dict[str, Any]:
        return {
            "attach_action": "/evidence",
            "attach_code": code,
            "attach_limits": limits_text(lang, self.limits),
        }

    def evidence_page(
        self,
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
        return self.pages.render(
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
            status_url=self.status_url(lang),
            report_url=f"/?lang={lang}",
            **self.attach_context(lang, code),
        )

    def code_seal(self, kind: str, code: str) -> str:
        return hmac.new(self.code_page_key, f"{kind}:{code}".encode(), hashlib.sha256).hexdigest()

    def done_page(
        self,
        request: Request,
        lang: str,
        *,
        staff: bool,
        tracking_code: str,
        again_url: str,
        status_code: int = 201,
    ) -> HTMLResponse:
        """The tracking code, shown once, with the way to attach files. Its language switch
        posts the code back (never in an address), sealed so only this page can ask."""
        text = TEXTS[lang]
        prefix = "staff_" if staff else ""
        kind = "staff" if staff else "web"
        return self.pages.render(
            request,
            "done.html",
            lang=lang,
            status_code=status_code,
            heading=text[f"{prefix}done_title"],
            intro=text[f"{prefix}code_intro"],
            tracking_code=tracking_code,
            status_url=self.status_url(lang),
            again_url=again_url,
            again_label=text["staff_next" if staff else "new_report"],
            switch_form={
                "action": "/report/code",
                "fields": {
                    "kind": kind,
                    "code": tracking_code,
                    "seal": self.code_seal(kind, tracking_code),
                },
            },
            **self.attach_context(lang, tracking_code),
        )
