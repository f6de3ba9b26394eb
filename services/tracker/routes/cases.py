"""The staff's case work: `/v1/cases/...` moves a case through the stage machine
(`domain.TRANSITIONS`), each step recording who, when and why; `/v1/cases/overdue` and
`/v1/load` show where work piles up."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.common.access import record_access, stated_purpose
from services.common.events import ConclusionKind, Stage
from services.common.times import IsoAwareDatetime
from services.tracker import workflow
from services.tracker.deps import (
    AccessProducerDep,
    LoadReader,
    OfficeDep,
    Supervisor,
    TrackerDep,
    Worker,
)
from services.tracker.domain import allowed_next, as_utc, case_due, ordered_timeline, overdue_kinds

router = APIRouter(tags=["cases"])

Reason = Annotated[
    str,
    Field(
        min_length=3,
        max_length=2000,
        description="Why. Kept sealed with the case: it can name people, so it never leaves "
        "the tracker in an event.",
    ),
]


class Assign(BaseModel):
    team: str = Field(min_length=1, max_length=100)
    reason: Reason


class StartInvestigation(BaseModel):
    reason: Reason | None = None


class Question(BaseModel):
    text: str = Field(min_length=3, max_length=5000)


class Conclude(BaseModel):
    outcome: ConclusionKind
    reason: Reason
    duplicate_of: str | None = Field(
        default=None, max_length=100, description="The surviving case, for a duplicate."
    )


class Close(BaseModel):
    reason: Reason


class CaseView(BaseModel):
    """A case as staff see it without opening anything private: stages, who, when, routing."""

    report_id: str
    stage: Stage
    allowed_next: list[Stage]
    province: str | None
    scope: dict[str, str | None]
    official_involvement: bool
    conclusion: ConclusionKind | None
    duplicate_of: str | None
    opened_at: datetime
    due: dict[str, datetime | None]
    overdue: list[str]
    messages: int
    timeline: list[dict[str, Any]]


def case_view(case: dict[str, Any], now: datetime) -> CaseView:
    timeline = []
    for entry in ordered_timeline(case.get("timeline", [])):
        shown = {k: v for k, v in entry.items() if k != "note"}
        shown["at"] = as_utc(entry["at"])
        shown["has_note"] = entry.get("note") is not None
        timeline.append(shown)
    state = Stage(case["state"])
    return CaseView(
        report_id=case["_id"],
        stage=state,
        allowed_next=allowed_next(state),
        province=case.get("province"),
        scope=case.get("scope") or {"province": None, "team": None},
        official_involvement=bool(case.get("official_involvement")),
        conclusion=case.get("conclusion"),
        duplicate_of=case.get("duplicate_of"),
        opened_at=as_utc(case["opened_at"]),
        due=case_due(case),
        overdue=[k.value for k in overdue_kinds(case, now)],
        messages=len(case.get("messages") or []),
        timeline=timeline,
    )


# -- reading ----------------------------------------------------------------------------------


@router.get(
    "/v1/cases/overdue",
    summary="Cases that owe the reporter an acknowledgement or feedback (supervisors)",
)
async def overdue(
    staff: Supervisor,
    tracker: TrackerDep,
    as_of: Annotated[
        IsoAwareDatetime | None,
        Query(description="Judge deadlines at this time (ISO 8601) instead of now, to plan ahead."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    return await workflow.overdue_cases(tracker, as_of, limit)


@router.get("/v1/cases", summary="The cases you may see, oldest first: a team's work queue")
async def cases(
    staff: Worker,
    tracker: TrackerDep,
    stage: Annotated[Stage | None, Query()] = None,
    team: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    return await workflow.case_listing(tracker, staff, stage, team, limit)


@router.get(
    "/v1/load",
    summary="Open cases, new, age, overdue and waiting, per province and team; idle clusters",
)
async def load(
    staff: LoadReader,
    tracker: TrackerDep,
    office: OfficeDep,
    as_of: Annotated[
        IsoAwareDatetime | None, Query(description="Count ages at this time (ISO 8601).")
    ] = None,
) -> dict[str, Any]:
    return await workflow.regional_load(tracker, as_of, office.idle_cluster_min_reports)


@router.get("/v1/cases/{report_id}", response_model=CaseView)
async def case(report_id: str, staff: Worker, tracker: TrackerDep) -> Any:
    found = await workflow.case_in_scope(tracker, report_id, staff)
    return case_view(found, tracker.clock())


@router.get(
    "/v1/cases/{report_id}/messages",
    summary="Messages with the reporter and staff notes (recorded in the audit log)",
)
async def case_messages(
    report_id: str,
    staff: Worker,
    purpose: Annotated[str, Depends(stated_purpose)],
    tracker: TrackerDep,
    producer: AccessProducerDep,
) -> dict[str, Any]:
    found = await workflow.case_in_scope(tracker, report_id, staff)
    await record_access(
        producer,
        source="tipline/tracker",
        principal=staff,
        report_id=report_id,
        fields=["messages", "notes"],
        purpose=purpose,
    )
    return workflow.messages_and_notes(tracker, found)


# -- moving a case on -------------------------------------------------------------------------


@router.post("/v1/cases/{report_id}/assign", response_model=CaseView)
async def assign(report_id: str, body: Assign, staff: Supervisor, tracker: TrackerDep) -> Any:
    moved = await workflow.assign(tracker, report_id, staff, body.team, body.reason)
    return case_view(moved, tracker.clock())


@router.post("/v1/cases/{report_id}/investigate", response_model=CaseView)
async def investigate(
    report_id: str, staff: Worker, tracker: TrackerDep, body: StartInvestigation | None = None
) -> Any:
    reason = body.reason if body else None
    moved = await workflow.start_investigation(tracker, report_id, staff, reason)
    return case_view(moved, tracker.clock())


@router.post("/v1/cases/{report_id}/questions", response_model=CaseView)
async def ask(report_id: str, body: Question, staff: Worker, tracker: TrackerDep) -> Any:
    moved = await workflow.ask_reporter(tracker, report_id, staff, body.text)
    return case_view(moved, tracker.clock())


@router.post("/v1/cases/{report_id}/conclude", response_model=CaseView)
async def conclude(report_id: str, body: Conclude, staff: Worker, tracker: TrackerDep) -> Any:
    moved = await workflow.conclude(
        tracker, report_id, staff, body.outcome, body.reason, body.duplicate_of
    )
    return case_view(moved, tracker.clock())


@router.post("/v1/cases/{report_id}/close", response_model=CaseView)
async def close(report_id: str, body: Close, staff: Supervisor, tracker: TrackerDep) -> Any:
    moved = await workflow.close(tracker, report_id, staff, body.reason)
    return case_view(moved, tracker.clock())
