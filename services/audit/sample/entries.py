"""What the sample writes into the audit chain, and the stage events it sends. No I/O here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.audit.sample.domain import iso, parse_time, sampled_ids
from services.common.events import (
    STAGE_CHANGED_V1,
    Envelope,
    Stage,
    StageChanged,
    derived_event_id,
)

SOURCE = "tipline/audit"
# Entries the audit service writes into its own chain (they come from no Kafka topic).
SAMPLE_COMMITTED_V1 = "tipline.sample.committed.v1"
SAMPLE_DRAWN_V1 = "tipline.sample.drawn.v1"
SAMPLE_REFUSED_V1 = "tipline.sample.refused.v1"
OUTCOME_RECORDED_V1 = "tipline.sample.outcome_recorded.v1"


def log_record(
    event_type: str, subject: str, data: dict[str, Any], at: datetime, event_id: str | None = None
) -> dict[str, Any]:
    """An entry the audit service writes into its own chain; `topic` is None because it came
    from no topic. A derived `event_id` makes writing it again after a crash a no-op."""
    event = Envelope(
        id=event_id or str(uuid.uuid4()),
        source=SOURCE,
        type=event_type,
        subject=subject,
        time=at,
        data=data,
    )
    return {"topic": None, "event": event.model_dump(mode="json")}


def committed_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    commitment = record["commitment"]
    return log_record(
        SAMPLE_COMMITTED_V1,
        f"sample:{commitment['period']['id']}",
        {"commitment": commitment, "commitment_hash": record["commitment_hash"]},
        parse_time(commitment["committed_at"]),
        derived_event_id(record["commitment_hash"], "committed"),
    )


def drawn_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    draw = record["draw"]
    return log_record(
        SAMPLE_DRAWN_V1,
        f"sample:{record['commitment']['period']['id']}",
        {"draw": draw, "commitment_hash": record["commitment_hash"]},
        parse_time(draw["drawn_at"]),
        derived_event_id(record["commitment_hash"], "drawn"),
    )


def refused_entry(
    period_id: str, attempt: str, by: str, reason: str, at: datetime
) -> dict[str, Any]:
    return log_record(
        SAMPLE_REFUSED_V1,
        f"sample:{period_id}",
        {"period": period_id, "attempt": attempt, "by": by, "reason": reason, "at": iso(at)},
        at,
    )


def sampled_events(record: Mapping[str, Any]) -> list[Envelope]:
    """`sampled_for_verification` for each drawn report; ids follow from the commitment, so
    sending them again is recognised downstream as a repeat."""
    at = parse_time(record["draw"]["drawn_at"])
    return [
        stage_event(
            report_id,
            Stage.SAMPLED_FOR_VERIFICATION,
            at,
            derived_event_id(record["commitment_hash"], f"sampled:{report_id}"),
        )
        for report_id in sampled_ids(record)
    ]


def stage_event(report_id: str, stage: Stage, at: datetime, event_id: str) -> Envelope:
    return Envelope(
        id=event_id,
        source=SOURCE,
        type=STAGE_CHANGED_V1,
        subject=report_id,
        time=at,
        data=StageChanged(report_id=report_id, stage=stage, at=at).model_dump(mode="json"),
    )
