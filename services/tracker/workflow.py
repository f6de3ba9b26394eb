"""Tracker's use cases: what happens when a case opens, is routed, is moved on by staff, or
hears from its reporter. Plain async functions given a `Tracker` (the case store, the status
cache in front of it, the stage-event publisher, the clock and the office's rules); the HTTP
routes, the status page and the consumer only parse, call and answer.

Refusals are the exceptions below (and `domain.IllegalTransition`); `errors.py` turns them into
the HTTP answers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from services.common import tracking_code
from services.common.auth import Principal, Role
from services.common.crypto import DataKey, Keyring
from services.common.events import (
    ConclusionKind,
    Envelope,
    ReportSubmitted,
    Stage,
    StageChanged,
    derived_event_id,
)
from services.common.throttle import FailureThrottle
from services.tracker.domain import (
    FINISHED_STAGES,
    ROUTED_FROM,
    ActorKind,
    DeadlinePolicy,
    IllegalTransition,
    PublicMessage,
    PublicStatus,
    RoutingRule,
    RoutingTable,
    as_utc,
    back_with_investigators,
    case_summary,
    check_transition,
    cluster_of,
    current_public_stage,
    public_status,
    received_event,
    route,
    routing_record,
    scope,
    staff_actor,
    stage_event,
    timeline_entry,
)
from services.tracker.queue import CLUSTER_SIZES, PRIORITY_RANK, SORTS, QueueFilter, queue_query

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Messages live in the case document (MongoDB caps a document at 16 MB): enough for any real
# exchange, and a bound on what one code holder can pile up.
MAX_MESSAGES_PER_CASE = 500


# -- refusals ---------------------------------------------------------------------------------


class CaseNotFound(Exception):
    """No case has this id (told only to supervisors, who may see every case)."""


class OutOfScope(Exception):
    """The case is outside the caller's provinces and teams, or does not exist."""


class InvalidField(Exception):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class ChangedMeanwhile(Exception):
    """Someone else moved the case between reading it and moving it."""


class CaseFinished(Exception):
    """The case is concluded and takes no more messages."""


class TooManyMessages(Exception):
    """The case holds as many messages as it can."""


# -- ports ------------------------------------------------------------------------------------


class Cases(Protocol):
    """The case store (`adapters.CaseStore`)."""

    async def get(self, report_id: str) -> dict[str, Any] | None: ...

    async def add_entries(
        self,
        report_id: str,
        entries: list[dict[str, Any]],
        tracking_code_hash: str | None = None,
        opening: bool = False,
        also_set: dict[str, Any] | None = None,
    ) -> bool: ...

    async def open_many(
        self, openings: list[tuple[str, list[dict[str, Any]], str, dict[str, Any]]]
    ) -> set[int]: ...

    async def add_to_many(self, additions: list[tuple[str, dict[str, Any]]]) -> set[int]: ...

    async def add_with_events_to_many(
        self,
        writes: list[tuple[str, list[dict[str, Any]], dict[str, Any], list[Envelope]]],
        ordered: bool,
    ) -> list[bool | None]: ...

    async def add_unless_held(
        self,
        report_id: str,
        entries: list[dict[str, Any]],
        fields: dict[str, Any],
        outbox: list[Envelope],
    ) -> bool: ...

    async def add_if_in_state(
        self,
        report_id: str,
        states: list[Stage],
        entries: list[dict[str, Any]],
        fields: dict[str, Any],
        outbox: list[Envelope] | None = None,
    ) -> bool: ...

    async def transition(
        self,
        case: dict[str, Any],
        entry: dict[str, Any],
        fields: dict[str, Any],
        event: Envelope,
        push: dict[str, Any] | None = None,
    ) -> bool: ...

    async def add_message(self, report_id: str, message: dict[str, Any]) -> None: ...

    async def data_key(self, report_id: str, keyring: Keyring) -> DataKey: ...

    async def overdue(self, now: datetime, limit: int) -> list[dict[str, Any]]: ...

    async def listing(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]: ...

    async def load(self, now: datetime) -> list[dict[str, Any]]: ...

    async def idle_clusters(self, min_reports: int) -> list[dict[str, Any]]: ...

    async def queue(
        self, query: dict[str, Any], sort: list[tuple[str, int]], skip: int, limit: int
    ) -> list[dict[str, Any]]: ...

    async def count(self, query: dict[str, Any]) -> int: ...

    async def count_by_stage(self, query: dict[str, Any]) -> dict[str, int]: ...

    async def cluster_sizes(self, min_reports: int) -> dict[str, int]: ...


class StatusCache(Protocol):
    """Recently read cases by tracking-code hash (`adapters.RecentStatuses`)."""

    async def by_tracking_code_hash(self, code_hash: str) -> dict[str, Any] | None: ...

    def forget(self, report_id: str, code_hash: str | None = None) -> None: ...


class StagePublisher(Protocol):
    """Sends stage events to the rest of the system (`publisher.py`)."""

    async def publish(self, events: Sequence[Envelope]) -> None:
        """Sends the events now; raises if one could not go."""

    async def publish_recorded(self, report_id: str, event: Envelope) -> None:
        """Sends an event that was stored in the case's outbox with its change, and takes it
        out of the outbox once sent."""


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Tracker:
    """What every use case is given."""

    cases: Cases
    statuses: StatusCache
    publisher: StagePublisher
    clock: Clock
    keyring: Keyring
    routing: RoutingTable
    deadlines: DeadlinePolicy
    new_id: Callable[[], str] = _new_id


# -- the reporter's side ----------------------------------------------------------------------


@dataclass
class CodeLookup:
    """Every tracking-code lookup goes through here (the throttle wraps this one place). A
    mistyped code and an unknown one both give None, and both count as a failed guess."""

    statuses: StatusCache
    throttle: FailureThrottle
    secret: bytes
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def find(self, code: str, client_address: str | None) -> dict[str, Any] | None:
        """Raises TooManyGuesses (429) for a client past the throttle's threshold."""

        async def look_up() -> dict[str, Any] | None:
            normalized = tracking_code.normalize(code)
            if normalized is None:
                return None
            code_hash = tracking_code.lookup_hash(normalized, self.secret)
            return await self.statuses.by_tracking_code_hash(code_hash)

        return await self.throttle.guarded(client_address, look_up, self.sleep)


async def reporter_status(t: Tracker, case: dict[str, Any]) -> PublicStatus:
    """What the reporter sees of a case: the JSON API and the status page."""
    joined = None
    if case.get("duplicate_of"):
        survivor = await t.cases.get(case["duplicate_of"])
        if survivor is not None and survivor.get("timeline"):
            joined = current_public_stage(survivor["timeline"])
    due = (case.get("due") or {}).get("feedback")
    return public_status(
        case["timeline"],
        messages=open_messages(case, t.keyring),
        next_update_by=as_utc(due) if due else None,
        joined=joined,
    )


@dataclass(frozen=True)
class MessageAccepted:
    id: str
    at: datetime


async def add_reporter_message(
    t: Tracker, report_id: str, text: str, in_reply_to: str | None
) -> MessageAccepted:
    """An answer to a question (`in_reply_to`) or more information, from the code holder.
    Once every question is answered the case is back with the investigators."""
    case = await t.cases.get(report_id)
    assert case is not None
    if Stage(case["state"]) in FINISHED_STAGES:
        raise CaseFinished()
    messages = case.get("messages", [])
    if len(messages) >= MAX_MESSAGES_PER_CASE:
        raise TooManyMessages()
    questions = {m["id"] for m in messages if m["kind"] == "question"}
    if in_reply_to is not None and in_reply_to not in questions:
        raise InvalidField("in_reply_to", "no question with this id was asked in this case")
    now = t.clock()
    key = await t.cases.data_key(report_id, t.keyring)
    message = sealed_message(
        key,
        t.new_id(),
        sender="reporter",
        kind="answer" if in_reply_to else "information",
        text=text,
        at=now,
        in_reply_to=in_reply_to,
    )
    await t.cases.add_message(report_id, message)
    t.statuses.forget(report_id)
    log.info("reporter message stored", extra={"report_id": report_id})
    if back_with_investigators(Stage(case["state"]), messages, in_reply_to):
        # Not feedback (the reporter moved it), so the office's clock is left as it was.
        back = Move(Stage.INVESTIGATING, {"kind": ActorKind.REPORTER.value}, feedback=False)
        await _apply(t, case, back, quiet_on_race=True)
    return MessageAccepted(id=message["id"], at=now)


# -- staff: reading ---------------------------------------------------------------------------


async def case_in_scope(t: Tracker, report_id: str, staff: Principal) -> dict[str, Any]:
    case = await t.cases.get(report_id)
    if case is None and staff.role is Role.SUPERVISOR:
        raise CaseNotFound()
    case_scope = (case or {}).get("scope") or {}
    if case is None or not staff.may_see(case_scope.get("province"), case_scope.get("team")):
        raise OutOfScope()
    return case


def messages_and_notes(t: Tracker, case: dict[str, Any]) -> dict[str, Any]:
    """The messages with the reporter and the staff's sealed notes, opened. The caller records
    the read in the audit log first."""
    notes = []
    report_id = case["_id"]
    key = t.keyring.open_data_key(case["data_key"], report_id) if case.get("data_key") else None
    for entry in case["timeline"]:
        if key is not None and entry.get("note") is not None:
            notes.append(
                {
                    "event_id": entry["event_id"],
                    "stage": entry["stage"],
                    "at": as_utc(entry["at"]),
                    "by": entry.get("actor"),
                    "note": key.open(note_field(entry["event_id"]), entry["note"]).decode(),
                }
            )
    return {"messages": [m.model_dump() for m in open_messages(case, t.keyring)], "notes": notes}


async def overdue_cases(t: Tracker, as_of: datetime | None, limit: int) -> dict[str, Any]:
    now = as_of or t.clock()
    cases = await t.cases.overdue(now, limit)
    return {"as_of": now, "cases": [case_summary(c, now) for c in cases]}


async def case_listing(
    t: Tracker, staff: Principal, stage: Stage | None, team: str | None, limit: int
) -> dict[str, Any]:
    """The cases the caller may see, oldest first: a team's work queue."""
    query: dict[str, Any] = {}
    if staff.role is not Role.SUPERVISOR:
        query["$or"] = [
            {"scope.province": {"$in": sorted(staff.provinces)}},
            {"scope.team": {"$in": sorted(staff.teams)}},
        ]
    if stage is not None:
        query["state"] = stage.value
    if team is not None:
        query["scope.team"] = team
    now = t.clock()
    found = await t.cases.listing(query, limit)
    return {"cases": [case_summary(c, now) for c in found]}


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: its cases, how many match, and how many in each stage."""

    cases: list[dict[str, Any]]
    total: int
    by_stage: dict[str, int]
    filter: QueueFilter
    as_of: datetime
    # How many of the cases the filter finds, whatever its cluster size, lie in a cluster of
    # at least N reports, for each of the queue's choices (CLUSTER_SIZES).
    by_cluster_size: dict[int, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.filter.size))


async def case_queue(t: Tracker, staff: Principal, f: QueueFilter) -> QueuePage:
    """The cases the person may see that match the filter, sorted and one page of them."""
    now = t.clock()
    # Cluster sizes as the tracker's cases count them (as the idle clusters on the load page).
    sizes = await t.cases.cluster_sizes(2)

    def at_least(n: int) -> list[str]:
        return [cluster for cluster, size in sizes.items() if size >= n]

    chosen = at_least(f.cluster) if f.cluster else None
    query = queue_query(staff, f, now, clusters=chosen)
    found = await t.cases.queue(query, SORTS[f.sort], (f.page - 1) * f.size, f.size)
    by_size = {}
    for n in CLUSTER_SIZES:
        by_size[n] = await t.cases.count(queue_query(staff, f, now, clusters=at_least(n)))
    return QueuePage(
        cases=[case_summary(c, now) for c in found],
        total=await t.cases.count(query),
        by_stage=await t.cases.count_by_stage(
            queue_query(staff, f, now, without_stage=True, clusters=chosen)
        ),
        filter=f,
        as_of=now,
        by_cluster_size=by_size,
    )


async def regional_load(t: Tracker, as_of: datetime | None, min_reports: int) -> dict[str, Any]:
    """Open cases per province and team, and clusters of reports nobody investigates yet."""
    now = as_of or t.clock()
    rows = await t.cases.load(now)
    clusters = await t.cases.idle_clusters(min_reports)
    return {
        "as_of": now,
        "regions": rows,
        "idle_clusters": [
            {
                "cluster_id": c["_id"],
                "reports": c["reports"],
                "provinces": sorted(p for p in c["provinces"] if p),
                "teams": sorted(team for team in c["teams"] if team),
                "oldest_opened_at": c["oldest"],
            }
            for c in clusters
        ],
    }


# -- staff: moving a case on ------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One step of a case: where to, by whom, and what goes with it."""

    target: Stage
    actor: dict[str, str]
    note: str | None = None  # sealed into the timeline entry
    details: dict[str, Any] = field(default_factory=dict)  # more of the timeline entry
    fields: dict[str, Any] = field(default_factory=dict)  # case fields to set
    change: dict[str, Any] = field(default_factory=dict)  # more of the stage event
    question: str | None = None  # sealed into the case's messages, for the reporter
    feedback: bool = True  # the reporter sees it as news: the feedback clock starts again


async def _apply(
    t: Tracker, case: dict[str, Any], move: Move, *, quiet_on_race: bool = False
) -> dict[str, Any]:
    """One transition: checked against the machine, stored with who/when/why and its event in
    one conditional write, then published (the outbox sweep retries if Kafka is away)."""
    try:
        check_transition(Stage(case["state"]), move.target)
    except IllegalTransition:
        if quiet_on_race:
            return case
        raise
    report_id, now = case["_id"], t.clock()
    event = stage_event(
        report_id,
        StageChanged(report_id=report_id, stage=move.target, at=now, **move.change),
        event_id=t.new_id(),
    )
    details = dict(move.details)
    push = None
    if move.question is not None:
        key = await t.cases.data_key(report_id, t.keyring)
        question = sealed_message(
            key, t.new_id(), sender="investigator", kind="question", text=move.question, at=now
        )
        question["by"] = move.actor.get("subject")  # staff see who asked; the reporter never
        details["question_id"] = question["id"]
        push = {"messages": question}
    entry = timeline_entry(event.id, move.target, now, actor=move.actor, **details)
    if move.note is not None:
        key = await t.cases.data_key(report_id, t.keyring)
        entry["note"] = key.seal(note_field(event.id), move.note.encode())
    fields = dict(move.fields)
    if move.feedback:
        fields.update(t.deadlines.on_feedback(now, move.target))
    if not await t.cases.transition(case, entry, fields, event, push):
        if quiet_on_race:
            return case
        raise ChangedMeanwhile()
    t.statuses.forget(report_id)
    log.info(
        "case moved", extra={"report_id": report_id, "event_id": event.id, "stage": move.target}
    )
    await t.publisher.publish_recorded(report_id, event)
    updated = await t.cases.get(report_id)
    assert updated is not None
    return updated


def _by(staff: Principal) -> dict[str, str]:
    return staff_actor(staff.subject, staff.role.value)


async def assign(
    t: Tracker, report_id: str, staff: Principal, team: str, reason: str
) -> dict[str, Any]:
    """A supervisor gives the case to a team, never to the team covering implicated officials."""
    case = await case_in_scope(t, report_id, staff)
    jurisdiction = t.routing.jurisdiction_of_team(team)
    if jurisdiction is None:
        raise InvalidField("team", "not a team in the routing table")
    if case.get("official_involvement"):
        where = t.routing.most_specific(case.get("province"), case.get("city"))
        implicated = t.routing.covering(where).team if where else None
        if team == implicated:
            raise InvalidField(
                "team",
                "this case may involve officials covered by this team; assign it to a team "
                "at least one level above",
            )
    move = Move(
        Stage.ASSIGNED,
        _by(staff),
        note=reason,
        details={
            "team": team,
            "routing": {
                "rule": RoutingRule.SUPERVISOR.value,
                "team": team,
                "jurisdiction": jurisdiction.id,
                "reason": "Assigned by a supervisor (the reason is in the sealed note).",
            },
        },
        fields={"scope": scope(jurisdiction.province, team)},
        change={
            "team": team,
            "province": jurisdiction.province,
            "routing": RoutingRule.SUPERVISOR.value,
        },
    )
    return await _apply(t, case, move)


async def start_investigation(
    t: Tracker, report_id: str, staff: Principal, reason: str | None
) -> dict[str, Any]:
    case = await case_in_scope(t, report_id, staff)
    return await _apply(t, case, Move(Stage.INVESTIGATING, _by(staff), note=reason))


async def ask_reporter(t: Tracker, report_id: str, staff: Principal, text: str) -> dict[str, Any]:
    """A question for the reporter, who answers it with the tracking code."""
    case = await case_in_scope(t, report_id, staff)
    return await _apply(t, case, Move(Stage.AWAITING_REPORTER, _by(staff), question=text))


async def conclude(
    t: Tracker,
    report_id: str,
    staff: Principal,
    outcome: ConclusionKind,
    reason: str,
    duplicate_of: str | None,
) -> dict[str, Any]:
    case = await case_in_scope(t, report_id, staff)
    survivor_id = None
    if outcome == ConclusionKind.DUPLICATE:
        survivor_id = await surviving_case(t, case, duplicate_of, staff)
    elif duplicate_of is not None:
        raise InvalidField("duplicate_of", "only a duplicate names the case it joins")
    move = Move(
        Stage.CONCLUDED,
        _by(staff),
        note=reason,
        details={"conclusion": outcome.value, "duplicate_of": survivor_id},
        fields={"conclusion": outcome.value, "duplicate_of": survivor_id},
        change={"conclusion": outcome, "duplicate_of": survivor_id},
    )
    return await _apply(t, case, move)


async def surviving_case(
    t: Tracker, case: dict[str, Any], survivor_id: str | None, staff: Principal
) -> str:
    """The live case a duplicate joins: one the caller may see, itself no duplicate."""
    if not survivor_id:
        raise InvalidField("duplicate_of", "name the case this one duplicates")
    if survivor_id == case["_id"]:
        raise InvalidField("duplicate_of", "a case cannot duplicate itself")
    survivor = await t.cases.get(survivor_id)
    survivor_scope = (survivor or {}).get("scope") or {}
    if survivor is None or not staff.may_see(
        survivor_scope.get("province"), survivor_scope.get("team")
    ):
        # The same answer for an unknown case and one outside the caller's scope.
        raise InvalidField("duplicate_of", "no case you may see has this id")
    if survivor.get("duplicate_of"):
        raise InvalidField(
            "duplicate_of",
            f"that case is itself a duplicate of {survivor['duplicate_of']}; name that one",
        )
    if Stage(survivor["state"]) == Stage.CLOSED:
        raise InvalidField("duplicate_of", "that case is closed; reopen work on a live case")
    return str(survivor_id)


async def close(t: Tracker, report_id: str, staff: Principal, reason: str) -> dict[str, Any]:
    case = await case_in_scope(t, report_id, staff)
    return await _apply(t, case, Move(Stage.CLOSED, _by(staff), note=reason))


# -- the tracker's own moves (the consumer) ---------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """A new case: its first two timeline entries, its deadlines, and the "received" event."""

    report_id: str
    code_hash: str
    entries: list[dict[str, Any]]
    deadlines: dict[str, Any]
    received: Envelope


def opening(t: Tracker, submitted_event_id: str, submitted: ReportSubmitted) -> Opening:
    """Opening a case is the "received" stage; its event id follows from the submission."""
    check_transition(Stage.SUBMITTED, Stage.RECEIVED)
    now = t.clock()
    received = received_event(submitted_event_id, submitted.report_id, now)
    return Opening(
        report_id=submitted.report_id,
        code_hash=submitted.tracking_code_hash,
        entries=[
            timeline_entry(submitted_event_id, Stage.SUBMITTED, submitted.submitted_at),
            timeline_entry(received.id, Stage.RECEIVED, now),
        ],
        deadlines=t.deadlines.on_opening(submitted.submitted_at, now),
        received=received,
    )


async def open_case(t: Tracker, submitted_event_id: str, submitted: ReportSubmitted) -> bool:
    """Records a submission and acknowledges it in one write. False for a repeat."""
    new = opening(t, submitted_event_id, submitted)
    applied = await t.cases.add_entries(
        new.report_id,
        new.entries,
        tracking_code_hash=new.code_hash,
        opening=True,
        also_set=new.deadlines,
    )
    t.statuses.forget(new.report_id, new.code_hash)
    # Published on a repeat too: the first run may have stopped between write and publish.
    await t.publisher.publish([new.received])
    return applied


async def open_cases(t: Tracker, openings: list[Opening]) -> set[int]:
    """Many openings in one write. Returns the positions of those whose case existed already
    (a repeat, or a stage that came first), for the caller to apply one by one."""
    existing = await t.cases.open_many(
        [(o.report_id, o.entries, o.code_hash, o.deadlines) for o in openings]
    )
    for new in openings:
        t.statuses.forget(new.report_id, new.code_hash)
    await t.publisher.publish([o.received for i, o in enumerate(openings) if i not in existing])
    return existing


def service_entry(event: Envelope, change: StageChanged) -> dict[str, Any]:
    """A stage another service recorded (intake, the classifier, audit)."""
    return timeline_entry(
        event.id,
        change.stage,
        change.at,
        actor={"kind": ActorKind.SERVICE.value, "source": event.source},
    )


async def record_service_stage(t: Tracker, event: Envelope, change: StageChanged) -> bool:
    applied = await t.cases.add_entries(change.report_id, [service_entry(event, change)])
    t.statuses.forget(change.report_id)
    return applied


async def record_service_stages(
    t: Tracker, stages: list[tuple[Envelope, StageChanged]]
) -> set[int]:
    """Many stages in one write. Returns the positions a case held already, for the caller to
    apply one by one."""
    additions = [(change.report_id, service_entry(event, change)) for event, change in stages]
    held = await t.cases.add_to_many(additions)
    for report_id, _ in additions:
        t.statuses.forget(report_id)
    return held


@dataclass(frozen=True)
class Routing:
    """A classification and the assignment it leads to, recorded in one write: the classified
    entry, then the assigned one (its event id follows from the classification's, so a re-run
    repeats it), the case fields each sets, and the assignment event for the case's outbox."""

    report_id: str
    classified: dict[str, Any]
    assigned: dict[str, Any]
    classification_fields: dict[str, Any]
    assignment_fields: dict[str, Any]
    assignment: Envelope

    def write(self) -> tuple[str, list[dict[str, Any]], dict[str, Any], list[Envelope]]:
        """The one write of both (report id, entries, fields, outbox events)."""
        fields = {**self.classification_fields, **self.assignment_fields}
        return self.report_id, [self.classified, self.assigned], fields, [self.assignment]


def routing(t: Tracker, event: Envelope, change: StageChanged) -> Routing:
    """What a classification records, and the team the routing table gives the case."""
    classification = change.classification
    assert classification is not None
    report_id = change.report_id
    check_transition(ROUTED_FROM, Stage.ASSIGNED)
    decision = route(
        t.routing, classification.province, classification.city, classification.official_involvement
    )
    now = t.clock()
    assignment = stage_event(
        report_id,
        StageChanged(
            report_id=report_id,
            stage=Stage.ASSIGNED,
            at=now,
            team=decision.team,
            province=decision.province,
            routing=decision.rule.value,
        ),
        event_id=derived_event_id(event.id, Stage.ASSIGNED.value),
    )
    return Routing(
        report_id=report_id,
        classified=service_entry(event, change),
        assigned=timeline_entry(
            assignment.id,
            Stage.ASSIGNED,
            now,
            actor={"kind": ActorKind.ROUTING.value},
            team=decision.team,
            routing=routing_record(decision),
        ),
        classification_fields={
            "province": classification.province,
            "city": classification.city,
            "official_involvement": classification.official_involvement,
            "cluster_id": cluster_of(classification, event.data.get("classification") or {}),
            # Labels only (never text), for the console's filters and sorts.
            "crime_types": list(classification.crime_types),
            "industry": classification.industry,
            "priority": classification.priority,
            "priority_rank": PRIORITY_RANK.get(classification.priority or "", len(PRIORITY_RANK)),
        },
        assignment_fields={
            "state": Stage.ASSIGNED.value,
            "scope": scope(decision.province, decision.team),
            **t.deadlines.on_feedback(now, Stage.ASSIGNED),
        },
        assignment=assignment,
    )


async def route_classified_case(t: Tracker, event: Envelope, change: StageChanged) -> bool:
    """Records the classification and assigns the case to a team from the routing table, in
    one write. False for a repeat (`route_classified_cases`)."""
    return (await route_classified_cases(t, [(event, change)]))[0]


async def route_classified_cases(
    t: Tracker, classifications: list[tuple[Envelope, StageChanged]]
) -> list[bool]:
    """Many classifications in one bulk write: each records its classified entry, its
    assignment and its assignment event (the case's outbox) in one update, unless the case
    holds the classification already. A case not opened yet is opened by it. One report's
    classifications are written in the order given; a classification whose case held it
    already (a repeat, or a write that opened the case just now) is applied on its own,
    before any later one of its report. False for a repeat: nothing changed."""
    routings = [routing(t, event, change) for event, change in classifications]
    writes = [r.write() for r in routings]
    # One report's several classifications must land in order; otherwise any order will do.
    ordered = len({r.report_id for r in routings}) < len(routings)
    applied = [False] * len(routings)
    start = 0
    try:
        while start < len(routings):
            results = await t.cases.add_with_events_to_many(writes[start:], ordered=ordered)
            assert results and results[0] is not None
            for result in results:
                if result is None:  # an ordered write stopped before it: sent again next round
                    break
                applied[start] = result or await _route_held(t, routings[start])
                start += 1
    finally:  # what was written is never shown stale, whatever failed after it
        for r in routings:
            t.statuses.forget(r.report_id)
    for r, done in zip(routings, applied, strict=True):
        if done:
            await t.publisher.publish_recorded(r.report_id, r.assignment)
    return applied


async def _route_held(t: Tracker, r: Routing) -> bool:
    """A classification whose case held it already, or that lost a race to open the case.
    Recorded if it is still missing (the case was opened meanwhile); otherwise only the
    assignment, if a case classified before both went in one write still waits for it (its
    id follows from the classification's, so a repeat finds it there)."""
    report_id, entries, fields, outbox = r.write()
    if await t.cases.add_unless_held(report_id, entries, fields, outbox):
        return True
    return await t.cases.add_if_in_state(
        report_id, [ROUTED_FROM], [r.assigned], r.assignment_fields, outbox=[r.assignment]
    )


# -- sealed messages and notes ----------------------------------------------------------------


def note_field(event_id: str) -> str:
    return f"note:{event_id}"


def message_field(message_id: str) -> str:
    return f"message:{message_id}"


def sealed_message(
    key: DataKey,
    message_id: str,
    *,
    sender: Literal["reporter", "investigator"],
    kind: str,
    text: str,
    at: datetime,
    in_reply_to: str | None = None,
) -> dict[str, Any]:
    return {
        "id": message_id,
        "sender": sender,
        "kind": kind,
        "at": at,
        "in_reply_to": in_reply_to,
        "sealed": key.seal(message_field(message_id), text.encode()),
    }


def open_messages(case: dict[str, Any], keyring: Keyring) -> list[PublicMessage]:
    messages = case.get("messages") or []
    if not messages:
        return []
    key = keyring.open_data_key(case["data_key"], case["_id"])
    return [
        PublicMessage(
            id=m["id"],
            sender=m["sender"],
            kind=m["kind"],
            text=key.open(message_field(m["id"]), m["sealed"]).decode(),
            at=as_utc(m["at"]),
            in_reply_to=m.get("in_reply_to"),
        )
        for m in messages
    ]
