"""The one event envelope (after CloudEvents 1.0) and the event payloads.

No private data ever goes into an event: no narrative, no contact details, no tracking code.
Events carry ids, categories, stages and references; the tracking code travels only as its
keyed hash so the tracker can index it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

SUBMITTED_V1 = "tipline.report.submitted.v1"
STAGE_CHANGED_V1 = "tipline.report.stage_changed.v1"
ACCESS_RECORDED_V1 = "tipline.access.recorded.v1"
KNOWN_EVENT_TYPES = frozenset({SUBMITTED_V1, STAGE_CHANGED_V1, ACCESS_RECORDED_V1})

# Namespace for event ids derived from another event, so a consumer that re-runs after a crash
# emits the same id again and downstream consumers recognise the repeat.
_DERIVED_EVENT_NAMESPACE = uuid.UUID("6f1c9b52-5d0e-4d55-9a53-2d1f0c4a7e10")


class Stage(StrEnum):
    """A case's stages. Which stage may follow which is the tracker's state machine
    (`services/tracker/domain.py`); the audit stages run beside the workflow, not in it."""

    SUBMITTED = "submitted"
    RECEIVED = "received"
    CLASSIFIED = "classified"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    AWAITING_REPORTER = "awaiting_reporter"
    CONCLUDED = "concluded"
    CLOSED = "closed"
    SAMPLED_FOR_VERIFICATION = "sampled_for_verification"
    VERIFIED = "verified"
    VERIFICATION_FAILED = "verification_failed"
    COULD_NOT_VERIFY = "could_not_verify"

    @property
    def rank(self) -> int:
        """Position in declaration order. It orders the first stages, which different
        services record independently and which can arrive in any order; later stages can
        repeat (investigating ⇄ awaiting_reporter) and are ordered by time instead."""
        return list(Stage).index(self)


class ConclusionKind(StrEnum):
    """How an investigation ended. A kind, never the reasons (those can quote the report)."""

    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    DUPLICATE = "duplicate"  # joined another case, named by `duplicate_of`
    REFERRED = "referred"  # handed to another authority


class Channel(StrEnum):
    WEB = "web"
    WECHAT = "wechat"
    WEIBO = "weibo"
    QR = "qr"
    PHONE = "phone"
    LETTER = "letter"
    OTHER = "other"


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes; the version of the payload lives in `type`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str  # the report id: every report event is keyed and ordered by it
    time: AwareDatetime  # a time without its zone cannot be compared: refused
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)

    def canonical(self) -> str:
        """One stable text for hashing: sorted keys, no whitespace."""
        return canonical_json(self.model_dump(mode="json"))


class ReportSubmitted(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    report_id: str
    channel: Channel
    submitted_at: AwareDatetime
    tracking_code_hash: str
    language: str | None = None
    # A short slug naming the poster or campaign a QR code came from; never free text.
    campaign: str | None = None


Priority = Literal["critical", "high", "normal", "low"]


class Confidences(BaseModel):
    """How sure the classifier is of each decision, from 0 to 1."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    crime_types: dict[str, float] = {}
    industry: float | None = None
    province: float | None = None
    official_involvement: float | None = None


class Classification(BaseModel):
    """Categories only: never report text, entity values or evidence phrases.

    Labels are the taxonomy's (services/classifier/data/taxonomy.json). `province` and `city`
    are region ids ("inner_mongolia", "xian"), the keys of the tracker's routing table; only
    main cities are named, never a place finer than that. Fields after `rules_version` arrived
    with the sifting work and have defaults, so events written before them still parse.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    crime_types: list[str]
    province: str | None = None
    city: str | None = None
    rules_version: str
    industry: str | None = None
    priority: Priority | None = None
    official_involvement: bool = False
    cluster_id: str | None = None
    needs_review: bool = False
    confidences: Confidences = Confidences()
    model_version: str | None = None
    taxonomy_version: str | None = None
    # "model" when the classifier decided, "staff" when a person re-classified the report.
    decided_by: Literal["model", "staff"] = "model"


class StageChanged(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    report_id: str
    stage: Stage
    at: AwareDatetime
    classification: Classification | None = None
    # Set on `assigned`: the team that works the case and the province whose investigators may
    # read it. For a case routed above an implicated jurisdiction, `province` is the scope it
    # was routed to (None at the central level), not the province the report is about.
    team: str | None = None
    province: str | None = None
    routing: str | None = None  # the routing rule that chose the team, a code; never free text
    conclusion: ConclusionKind | None = None  # set on `concluded`
    duplicate_of: str | None = None  # the surviving case's report id, for a duplicate


class AccessRecorded(BaseModel):
    """A member of staff read decrypted content or a file of one report.

    Names the fields and files read, never their content."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    report_id: str
    staff: str
    role: str
    token_id: str
    fields: list[str]
    purpose: str
    at: AwareDatetime


def new_event(
    *, source: str, type: str, subject: str, data: BaseModel, event_id: str | None = None
) -> Envelope:
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=type,
        subject=subject,
        time=datetime.now(UTC),
        data=data.model_dump(mode="json"),
    )


def derived_event_id(cause_event_id: str, purpose: str) -> str:
    return str(uuid.uuid5(_DERIVED_EVENT_NAMESPACE, f"{cause_event_id}:{purpose}"))


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def utcnow() -> datetime:
    return datetime.now(UTC)
