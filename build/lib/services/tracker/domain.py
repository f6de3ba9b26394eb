"""Tracker's domain: timeline entries and what a reporter may see of them. No I/O here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.common.events import (
    STAGE_CHANGED_V1,
    Envelope,
    Stage,
    StageChanged,
    derived_event_id,
    new_event,
    utcnow,
)

SOURCE = "tipline/tracker"

# What a reporter reads. Plain words, nothing from inside the investigation: no categories,
# no team, no names.
PUBLIC_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.SUBMITTED: ("Submitted", "Your report reached us safely."),
    Stage.RECEIVED: ("Received", "The office has registered your report."),
    Stage.CLASSIFIED: ("Sorted for review", "Your report has been sorted and awaits a team."),
}


class PublicStage(BaseModel):
    stage: Stage
    label: str
    description: str
    at: datetime


class PublicStatus(BaseModel):
    stage: Stage
    label: str
    history: list[PublicStage]


class NotFound(BaseModel):
    detail: str


NOT_FOUND = NotFound(detail="No report matches this tracking code. Check the code and try again.")


def timeline_entry(event_id: str, stage: Stage, at: datetime) -> dict[str, Any]:
    return {"event_id": event_id, "stage": stage.value, "at": at}


def received_event(submitted_event_id: str, report_id: str) -> Envelope:
    """The tracker's acknowledgement; its id follows from the submission, so a re-run repeats it."""
    return new_event(
        source=SOURCE,
        type=STAGE_CHANGED_V1,
        subject=report_id,
        data=StageChanged(report_id=report_id, stage=Stage.RECEIVED, at=utcnow()),
        event_id=derived_event_id(submitted_event_id, Stage.RECEIVED.value),
    )


def public_status(timeline: list[dict[str, Any]]) -> PublicStatus:
    """The stages reached, in stage order: the services record them independently, so under
    load a later stage can carry an earlier time than the one before it."""
    history = []
    for entry in sorted(timeline, key=lambda e: (Stage(e["stage"]).rank, e["at"])):
        stage = Stage(entry["stage"])
        label, description = PUBLIC_LABELS[stage]
        history.append(
            PublicStage(stage=stage, label=label, description=description, at=entry["at"])
        )
    current = history[-1]
    return PublicStatus(stage=current.stage, label=current.label, history=history)
