"""Tracker's stream entry point: turns report events into case timelines."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from services.common import topics
from services.common.events import (
    STAGE_CHANGED_V1,
    SUBMITTED_V1,
    Envelope,
    ReportSubmitted,
    Stage,
    StageChanged,
    derived_event_id,
    utcnow,
)
from services.common.kafka import Handlers, Outcome, publish
from services.common.runtime import HandlerFactory
from services.tracker.adapters import CaseStore, RecentStatuses
from services.tracker.domain import (
    SOURCE,
    ActorKind,
    DeadlinePolicy,
    RoutingTable,
    cluster_of,
    received_event,
    route,
    routing_record,
    scope,
    stage_event,
    timeline_entry,
)

TOPICS = (topics.REPORT_SUBMITTED, topics.REPORT_STAGE)


@dataclass(frozen=True)
class Workflow:
    """What the consumer needs to move a case on by itself: routing and the deadline clock."""

    routing: RoutingTable
    deadlines: DeadlinePolicy


def make_handler_factory(statuses: RecentStatuses, workflow: Workflow) -> HandlerFactory:
    async def make_handler(
        db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer
    ) -> Handlers:
        cases = CaseStore(db)
        await cases.create_indexes()
        return Handlers(
            one=partial(handle, cases, statuses, workflow, producer),
            many=partial(handle_many, cases, statuses, workflow, producer),
        )

    return make_handler


async def handle(
    cases: CaseStore,
    statuses: RecentStatuses,
    workflow: Workflow,
    producer: AIOKafkaProducer,
    event: Envelope,
    topic: str,
) -> Outcome:
    if event.type == SUBMITTED_V1:
        submitted = ReportSubmitted.model_validate(event.data)
        received = received_event(event.id, submitted.report_id)
        # Opening the case is the "received" stage: both entries go in one write, and the
        # event tells everyone else.
        applied = await cases.add_entries(
            submitted.report_id,
            [
                timeline_entry(event.id, Stage.SUBMITTED, submitted.submitted_at),
                timeline_entry(received.id, Stage.RECEIVED, received.time),
            ],
            tracking_code_hash=submitted.tracking_code_hash,
            opening=True,
            also_set=workflow.deadlines.on_opening(submitted.submitted_at, received.time),
        )
        statuses.forget(submitted.report_id, submitted.tracking_code_hash)
        # Published on a repeat too: the first run may have stopped between write and publish.
        await publish(producer, topics.REPORT_STAGE, received)
        return Outcome.APPLIED if applied else Outcome.REPEAT
    if event.type == STAGE_CHANGED_V1:
        if event.source == SOURCE:
            return Outcome.REPEAT  # the tracker's own stage, recorded before it was sent
        change = StageChanged.model_validate(event.data)
        if change.stage == Stage.CLASSIFIED and change.classification is not None:
            return await classify_and_route(cases, statuses, workflow, producer, event, change)
        applied = await cases.add_entries(change.report_id, [service_entry(event, change)])
        statuses.forget(change.report_id)
        return Outcome.APPLIED if applied else Outcome.REPEAT
    return Outcome.IGNORED  # other event types are not the tracker's business


def service_entry(event: Envelope, change: StageChanged) -> dict[str, Any]:
    return timeline_entry(
        event.id,
        change.stage,
        change.at,
        actor={"kind": ActorKind.SERVICE.value, "source": event.source},
    )


async def classify_and_route(
    cases: CaseStore,
    statuses: RecentStatuses,
    workflow: Workflow,
    producer: AIOKafkaProducer,
    event: Envelope,
    change: StageChanged,
) -> Outcome:
    """Records the classification, then assigns the case to a team from the routing table.

    Two writes, each safe to repeat: a redelivered event finds its classification recorded and
    the assignment made (its id follows from the classification's), so nothing doubles, and a
    crash between them is mended by the redelivery. The assignment event waits in the case's
    outbox until it is published."""
    classification = change.classification
    assert classification is not None
    report_id = change.report_id
    recorded = await cases.add_entries(
        report_id,
        [service_entry(event, change)],
        also_set={
            "state": Stage.CLASSIFIED.value,
            "province": classification.province,
            "city": classification.city,
            "official_involvement": classification.official_involvement,
            "cluster_id": cluster_of(classification, event.data.get("classification") or {}),
        },
    )
    decision = route(
        workflow.routing,
        classification.province,
        classification.city,
        classification.official_involvement,
    )
    now = utcnow()
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
    assigned = await cases.add_if_in_state(
        report_id,
        [Stage.CLASSIFIED],
        [
            timeline_entry(
                assignment.id,
                Stage.ASSIGNED,
                now,
                actor={"kind": ActorKind.ROUTING.value},
                team=decision.team,
                routing=routing_record(decision),
            )
        ],
        {
            "state": Stage.ASSIGNED.value,
            "scope": scope(decision.province, decision.team),
            **workflow.deadlines.on_feedback(now, Stage.ASSIGNED),
        },
        outbox=[assignment],
    )
    statuses.forget(report_id)
    if assigned:
        await publish(producer, topics.REPORT_STAGE, assignment)
        await cases.mark_published(report_id, assignment.id)
    return Outcome.APPLIED if recorded or assigned else Outcome.REPEAT


async def handle_many(
    cases: CaseStore,
    statuses: RecentStatuses,
    workflow: Workflow,
    producer: AIOKafkaProducer,
    events: list[tuple[Envelope, str]],
) -> list[Outcome]:
    """A poll's events in two writes: new cases in one, stage entries in another. The few that
    cannot go in bulk (a repeat, a case a stage opened first) go through `handle`, and so do
    classifications, which route the case: different reports side by side, one report's in
    order."""
    one = partial(handle, cases, statuses, workflow, producer)
    outcomes: list[Outcome] = []
    openings: list[tuple[str, list[dict[str, Any]], str, dict[str, Any]]] = []
    routings: dict[str, list[tuple[int, Envelope, str]]] = {}
    opening_events: list[tuple[int, Envelope, str, Envelope]] = []  # position, event, topic, ack
    additions: list[tuple[str, dict[str, Any]]] = []
    addition_events: list[tuple[int, Envelope, str]] = []
    for position, (event, topic) in enumerate(events):
        outcomes.append(Outcome.APPLIED)
        if event.type == SUBMITTED_V1:
            submitted = ReportSubmitted.model_validate(event.data)
            acknowledgement = received_event(event.id, submitted.report_id)
            entries = [
                timeline_entry(event.id, Stage.SUBMITTED, submitted.submitted_at),
                timeline_entry(acknowledgement.id, Stage.RECEIVED, acknowledgement.time),
            ]
            opening = workflow.deadlines.on_opening(submitted.submitted_at, acknowledgement.time)
            openings.append((submitted.report_id, entries, submitted.tracking_code_hash, opening))
            opening_events.append((position, event, topic, acknowledgement))
        elif event.type == STAGE_CHANGED_V1 and event.source == SOURCE:
            outcomes[position] = Outcome.REPEAT
        elif event.type == STAGE_CHANGED_V1:
            change = StageChanged.model_validate(event.data)
            if change.stage == Stage.CLASSIFIED and change.classification is not None:
                routings.setdefault(change.report_id, []).append((position, event, topic))
                continue
            additions.append((change.report_id, service_entry(event, change)))
            addition_events.append((position, event, topic))
        else:
            outcomes[position] = Outcome.IGNORED

    existing = await cases.open_many(openings) if openings else set()
    for report_id, _, code_hash, _ in openings:
        statuses.forget(report_id, code_hash)
    sent = []
    for index, (position, event, topic, acknowledgement) in enumerate(opening_events):
        if index in existing:
            outcomes[position] = await one(event, topic)
        else:
            sent.append(
                await producer.send(
                    topics.REPORT_STAGE, acknowledgement.to_bytes(), key=event.subject.encode()
                )
            )
    await asyncio.gather(*sent)

    held = await cases.add_to_many(additions) if additions else set()
    for report_id, _ in additions:
        statuses.forget(report_id)
    for index in held:
        position, event, topic = addition_events[index]
        outcomes[position] = await one(event, topic)

    async def route_in_order(report_events: list[tuple[int, Envelope, str]]) -> None:
        for position, event, topic in report_events:
            outcomes[position] = await one(event, topic)

    await asyncio.gather(*(route_in_order(found) for found in routings.values()))
    return outcomes
