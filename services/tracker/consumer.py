"""Tracker's stream entry point: turns report events into case timelines. Parses each event and
calls its use case in `workflow.py` (opening a case, recording a stage, routing a case)."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from services.common import topics
from services.common.crypto import Keyring
from services.common.events import (
    STAGE_CHANGED_V1,
    SUBMITTED_V1,
    Envelope,
    ReportSubmitted,
    Stage,
    StageChanged,
    utcnow,
)
from services.common.kafka import Handlers, Outcome
from services.common.runtime import HandlerFactory
from services.tracker import workflow
from services.tracker.adapters import CaseStore, RecentStatuses
from services.tracker.domain import SOURCE, DeadlinePolicy, RoutingTable
from services.tracker.publisher import ConsumerPublisher, relay_for
from services.tracker.workflow import Clock, Tracker

TOPICS = (topics.REPORT_SUBMITTED, topics.REPORT_STAGE)


def make_handler_factory(
    statuses: RecentStatuses,
    keyring: Keyring,
    routing: RoutingTable,
    deadlines: DeadlinePolicy,
    clock: Clock = utcnow,
) -> HandlerFactory:
    async def make_handler(
        db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer
    ) -> Handlers:
        cases = CaseStore(db)
        await cases.create_indexes()
        publisher = ConsumerPublisher(producer, relay_for(cases.cases))
        tracker = Tracker(
            cases=cases,
            statuses=statuses,
            publisher=publisher,
            clock=clock,
            keyring=keyring,
            routing=routing,
            deadlines=deadlines,
        )
        return Handlers(one=partial(handle, tracker), many=partial(handle_held, tracker, publisher))

    return make_handler


async def handle_held(
    tracker: Tracker, publisher: ConsumerPublisher, events: list[tuple[Envelope, str]]
) -> list[Outcome]:
    """`handle_many`, its recorded events (the routings' assignments) published together at
    the end of the batch: one read and one mark for all of them."""
    async with publisher.held():
        return await handle_many(tracker, events)


def _routes_the_case(change: StageChanged) -> bool:
    return change.stage == Stage.CLASSIFIED and change.classification is not None


def _outcome(applied: bool) -> Outcome:
    return Outcome.APPLIED if applied else Outcome.REPEAT


async def handle(tracker: Tracker, event: Envelope, topic: str) -> Outcome:
    if event.type == SUBMITTED_V1:
        submitted = ReportSubmitted.model_validate(event.data)
        return _outcome(await workflow.open_case(tracker, event.id, submitted))
    if event.type == STAGE_CHANGED_V1:
        if event.source == SOURCE:
            return Outcome.REPEAT  # the tracker's own stage, recorded before it was sent
        change = StageChanged.model_validate(event.data)
        if _routes_the_case(change):
            return _outcome(await workflow.route_classified_case(tracker, event, change))
        return _outcome(await workflow.record_service_stage(tracker, event, change))
    return Outcome.IGNORED  # other event types are not the tracker's business


async def handle_many(tracker: Tracker, events: list[tuple[Envelope, str]]) -> list[Outcome]:
    """A poll's events in three writes: new cases in one, stage entries in another, and the
    classifications, which route their cases, in a third (one report's in order). The few
    that cannot go in bulk (a repeat, a case a stage opened first) go through `handle`."""
    one = partial(handle, tracker)
    outcomes: list[Outcome] = []
    openings: list[workflow.Opening] = []
    opening_events: list[tuple[int, Envelope, str]] = []
    stages: list[tuple[Envelope, StageChanged]] = []
    stage_events: list[tuple[int, Envelope, str]] = []
    routings: list[tuple[Envelope, StageChanged]] = []
    routing_positions: list[int] = []
    for position, (event, topic) in enumerate(events):
        outcomes.append(Outcome.APPLIED)
        if event.type == SUBMITTED_V1:
            submitted = ReportSubmitted.model_validate(event.data)
            openings.append(workflow.opening(tracker, event.id, submitted))
            opening_events.append((position, event, topic))
        elif event.type == STAGE_CHANGED_V1 and event.source == SOURCE:
            outcomes[position] = Outcome.REPEAT
        elif event.type == STAGE_CHANGED_V1:
            change = StageChanged.model_validate(event.data)
            if _routes_the_case(change):
                routings.append((event, change))
                routing_positions.append(position)
                continue
            stages.append((event, change))
            stage_events.append((position, event, topic))
        else:
            outcomes[position] = Outcome.IGNORED

    existing = await workflow.open_cases(tracker, openings) if openings else set()
    for index in sorted(existing):
        position, event, topic = opening_events[index]
        outcomes[position] = await one(event, topic)

    held = await workflow.record_service_stages(tracker, stages) if stages else set()
    for index in sorted(held):
        position, event, topic = stage_events[index]
        outcomes[position] = await one(event, topic)

    if routings:
        routed = await workflow.route_classified_cases(tracker, routings)
        for position, applied in zip(routing_positions, routed, strict=True):
            outcomes[position] = _outcome(applied)
    return outcomes
