"""Intake's domain: what a report is, and what accepting one produces. No I/O here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common import outbox, topics, tracking_code
from services.common.crypto import DataKey, Keyring
from services.common.events import (
    SUBMITTED_V1,
    Channel,
    ReportSubmitted,
    canonical_json,
    new_event,
    utcnow,
)
from services.common.times import IsoDatetime

SOURCE = "tipline/intake"
CAMPAIGN_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    province: str | None = Field(default=None, max_length=50, examples=["湖南"])
    city: str | None = Field(default=None, max_length=80, examples=["长沙"])
    details: str | None = Field(
        default=None, max_length=500, description="Street, village, landmark: anything that helps"
    )


class Contact(BaseModel):
    """How investigators may reach the reporter. Every field is optional."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+()\- ]{3,40}$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    messaging_handle: str | None = Field(default=None, max_length=100)


class ReportIn(BaseModel):
    """A report as a channel sends it. Only `channel` and `narrative` are required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel
    narrative: str = Field(
        min_length=10,
        max_length=20_000,
        description="What happened, in the reporter's own words (Chinese, English or both).",
    )
    location: Location | None = None
    incident_time: IsoDatetime | None = Field(
        default=None,
        description="When it happened, as closely as the reporter knows (ISO 8601 text)",
    )
    people_involved: list[str] = Field(default_factory=list, max_length=20)
    organisations_involved: list[str] = Field(default_factory=list, max_length=20)
    industry_hint: str | None = Field(default=None, max_length=100)
    # Travels in the submitted event: short, and a language tag only, never free text.
    language: str | None = Field(
        default=None,
        max_length=16,
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$",
        examples=["zh", "en", "zh-Hant"],
    )
    contact: Contact | None = Field(
        default=None, description="Leave out to stay anonymous (the default)."
    )
    # Travels in the submitted event, so only a short slug: which poster or campaign a QR code
    # (or a link) came from, never anything a reporter typed.
    campaign: str | None = Field(
        default=None,
        max_length=40,
        pattern=CAMPAIGN_PATTERN,
        description="Where a QR code or link was posted, as a short slug (`metro-line-2`).",
        examples=["metro-line-2"],
    )
    source_reference: str | None = Field(
        default=None,
        max_length=100,
        description="For staff-entered reports: the reference of the original call or letter.",
    )

    @field_validator("people_involved", "organisations_involved")
    @classmethod
    def _names_are_short_and_present(cls, names: list[str]) -> list[str]:
        cleaned = [name.strip() for name in names]
        if any(not name or len(name) > 200 for name in cleaned):
            raise ValueError("each entry must be 1 to 200 characters")
        return cleaned

    @field_validator("incident_time")
    @classmethod
    def _not_in_the_future(cls, value: datetime | None) -> datetime | None:
        if (
            value is not None
            and value.tzinfo is not None
            and value > utcnow() + timedelta(hours=24)
        ):
            raise ValueError("must not be in the future")
        return value


class ReportAccepted(BaseModel):
    tracking_code: str = Field(description="Shown once. Keep it safe: it is the only way back.")
    status_url: str
    submitted_at: datetime


class DuplicateReport(Exception):
    """A report was stored already under the same idempotency key (or id): a concurrent retry."""


@dataclass(frozen=True)
class KeyUsedForAnotherReport:
    """An Idempotency-Key that came back with a different report: refused, never replayed."""

    field: str = "Idempotency-Key"
    reason: str = "this key was already used for a different report"


@dataclass(frozen=True)
class NewReport:
    report_id: str
    document: dict[str, Any]
    answer: ReportAccepted


# What stays readable in the stored document: the channel and a language tag. Everything the
# reporter wrote is sealed under the report's own data key, in two parts: what was reported
# (the classifier and investigators read it) and who reported it (investigators only).
CLEAR_FIELDS = frozenset({"channel", "language"})
CONTACT_FIELD = "contact"


def seal_report(report: ReportIn, key: DataKey) -> dict[str, bytes]:
    private = report.model_dump(mode="json", exclude_none=True, exclude=set(CLEAR_FIELDS))
    contact = private.pop(CONTACT_FIELD, None)
    sealed = {"content": key.seal_json("content", private)}
    if contact:
        sealed[CONTACT_FIELD] = key.seal_json(CONTACT_FIELD, contact)
    return sealed


def open_report(document: dict[str, Any], keyring: Keyring, parts: Iterable[str]) -> dict[str, Any]:
    """The named parts ("content", "contact") of a stored report, decrypted, with its clear
    fields. A part the reporter left empty comes back empty."""
    key = keyring.open_data_key(document["data_key"], document["_id"])
    opened: dict[str, Any] = {name: document.get(name) for name in CLEAR_FIELDS}
    sealed = document.get("sealed", {})
    for part in parts:
        if part == "content":
            opened.update(key.open_json("content", sealed["content"]))
        elif part == CONTACT_FIELD:
            opened[CONTACT_FIELD] = (
                key.open_json(CONTACT_FIELD, sealed[CONTACT_FIELD])
                if CONTACT_FIELD in sealed
                else None
            )
    return opened


def accept_report(
    report: ReportIn,
    *,
    keyring: Keyring,
    secret: bytes,
    status_base_url: str,
    idempotency_key: str | None,
    idempotency_ttl: timedelta,
    now: datetime | None = None,
) -> NewReport:
    """Turn a valid report into the one document that stores it together with its event."""
    report_id = str(uuid.uuid4())
    code = tracking_code.generate()
    code_hash = tracking_code.lookup_hash(tracking_code.normalize(code) or "", secret)
    now = now or utcnow()
    answer = ReportAccepted(
        tracking_code=code,
        status_url=f"{status_base_url.rstrip('/')}/v1/track/{code}",
        submitted_at=now,
    )
    event = new_event(
        source=SOURCE,
        type=SUBMITTED_V1,
        subject=report_id,
        data=ReportSubmitted(
            report_id=report_id,
            channel=report.channel,
            submitted_at=now,
            tracking_code_hash=code_hash,
            language=report.language,
            campaign=report.campaign,
        ),
    )
    key, wrapped_key = keyring.new_data_key(report_id)
    document: dict[str, Any] = {
        "_id": report_id,
        "received_at": now,
        "tracking_code_hash": code_hash,
        **report.model_dump(mode="python", exclude_none=True, include=set(CLEAR_FIELDS)),
        "data_key": wrapped_key,
        "sealed": seal_report(report, key),
        # Which investigators may read it: filled in from stage events (region, team).
        "scope": {"province": None, "team": None},
        # The transactional outbox: the event is written in the same document as the report.
        **outbox.new_document_fields([outbox.entry(event, topics.REPORT_SUBMITTED)]),
    }
    if idempotency_key is not None:
        document["idempotency"] = {
            "key_hash": idempotency_key_hash(idempotency_key, secret),
            "request_hash": request_fingerprint(report, secret),
            "answer": seal_answer(answer, idempotency_key, secret),
            "expires_at": now + idempotency_ttl,
        }
    return NewReport(report_id=report_id, document=document, answer=answer)


def idempotency_key_hash(key: str, secret: bytes) -> str:
    return hmac.new(secret, b"idempotency-key:" + key.encode(), hashlib.sha256).hexdigest()


def request_fingerprint(report: ReportIn, secret: bytes) -> str:
    body = canonical_json(report.model_dump(mode="json"))
    return hmac.new(secret, b"request:" + body.encode(), hashlib.sha256).hexdigest()


# The first answer holds the tracking code, which is never stored in the clear. For a retry it
# is sealed under a key derived from the channel's Idempotency-Key, which is itself stored only
# as a hash: only the channel that made the request can open it again.
def _answer_key(idempotency_key: str, secret: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=secret, info=b"tipline idempotent answer"
    ).derive(idempotency_key.encode())


def seal_answer(answer: ReportAccepted, idempotency_key: str, secret: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_answer_key(idempotency_key, secret)).encrypt(
        nonce, answer.model_dump_json().encode(), None
    )
    return base64.b64encode(nonce + sealed).decode()


def open_answer(sealed: str, idempotency_key: str, secret: bytes) -> ReportAccepted:
    raw = base64.b64decode(sealed)
    plain = AESGCM(_answer_key(idempotency_key, secret)).decrypt(raw[:12], raw[12:], None)
    return ReportAccepted.model_validate_json(plain)


def scope_change(stage_event: dict[str, Any]) -> dict[str, str | None]:
    """What a stage event says about who may read the report: its region, its team.

    An assignment names both: a case routed above an implicated jurisdiction carries the scope
    it was routed to (no province at the central level), not the province it is about, so the
    implicated province's investigators must not keep reading it."""
    if stage_event.get("stage") == "assigned" and stage_event.get("team"):
        province = stage_event.get("province")
        return {"province": str(province) if province else None, "team": str(stage_event["team"])}
    change: dict[str, str | None] = {}
    classification = stage_event.get("classification") or {}
    if classification.get("province"):
        change["province"] = str(classification["province"])
    if stage_event.get("team"):
        change["team"] = str(stage_event["team"])
    return change


@dataclass(frozen=True)
class ReportUpdate:
    """One `$set` on a stored report; `only_unassigned` keeps it off a report with a team."""

    report_id: str
    values: dict[str, Any]
    only_unassigned: bool = False


def merged_updates(updates: Sequence[ReportUpdate]) -> list[ReportUpdate]:
    """A batch's updates with the same effect in fewer document writes (SecantusDB rewrites a
    whole report, every index entry of it, for each update).

    Reports are independent, so each report's updates are taken in their order, apart from the
    others'. An update whose fields a later unconditional update of the report sets again is
    left out (when it does not set the team, which the conditional ones read); then neighbours
    of the same kind are one `$set`, the later value winning. The merged updates come in the
    order of each report's first update."""
    by_report: dict[str, list[ReportUpdate]] = {}
    for update in updates:
        by_report.setdefault(update.report_id, []).append(update)
    merged: list[ReportUpdate] = []
    for report_updates in by_report.values():
        kept = [
            update
            for i, update in enumerate(report_updates)
            if not _overwritten(update, report_updates[i + 1 :])
        ]
        for update in kept:
            last = merged[-1] if merged else None
            if (
                last is not None
                and last.report_id == update.report_id
                and last.only_unassigned == update.only_unassigned
            ):
                merged[-1] = replace(last, values={**last.values, **update.values})
            else:
                merged.append(update)
    return merged


def _overwritten(update: ReportUpdate, later: Sequence[ReportUpdate]) -> bool:
    if "scope.team" in update.values:
        return False
    return any(
        not after.only_unassigned and update.values.keys() <= after.values.keys() for after in later
    )


def stage_updates(
    report_id: str, stage_event: dict[str, Any], heard: str | None, at: datetime
) -> list[ReportUpdate]:
    """What one stage event changes on its report: the scope it names (`scope_change`) and the
    reconciliation's mark that intake heard of it (`heard`, a `progress.` field), in one update
    where they can share it.

    Setting a value is idempotent, so a redelivered event writes what is already there. Once a
    team is assigned the assignment decides the scope: a classification without a team (seen
    again, or late) must not put back the province a case was routed away from, so it goes
    only to an unassigned report, and the mark beside it in an update of its own."""
    change = scope_change(stage_event)
    scope = {f"scope.{name}": value for name, value in change.items()}
    mark = {f"progress.{heard}": at} if heard else {}
    if not change:
        return [ReportUpdate(report_id, mark)] if mark else []
    if "team" in change:
        return [ReportUpdate(report_id, {**scope, **mark})]
    updates = [ReportUpdate(report_id, mark)] if mark else []
    return [*updates, ReportUpdate(report_id, scope, only_unassigned=True)]
