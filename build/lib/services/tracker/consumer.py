"""Tracker's stream entry point: turns report events into case timelines."""

from __future__ import annotations

import asyncio
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
)
from services.common.kafka import Handlers, Outcome, publish
from services.common.runtime import HandlerFactory
from services.tracker.adapters import CaseStore, RecentStatuses
from services.tracker.domain import SOURCE, received_event, timeline_entry

TOPICS = (topics.REPORT_SUBMITTED, topics.REPORT_STAGE)


def make_handler_factory(statuses: RecentStatuses) -> HandlerFactory:
    async def make_handler(
        db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer
    ) -> Handlers:
        cases = CaseStore(db)
        await cases.create_indexes()
        return Handlers(
            one=partial(handle, cases, statuses, producer),
            many=partial(handle_many, cases, statuses, producer),
        )

    return make_handler


async def handle(
    cases: CaseStore,
    statuses: RecentStatuses,
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
        )
        statuses.forget(submitted.report_id, submitted.tracking_code_hash)
        # Published on a repeat too: the first run may have stopped between write and publish.
        await publish(producer, topics.REPORT_STAGE, received)
        return Outcome.APPLIED if applied else Outcome.REPEAT
    if event.type == STAGE_CHANGED_V1:
        if event.source == SOURCE:
            return Outcome.REPEAT  # the tracker's own stage, recorded before it was sent
        change = StageChanged.model_validate(event.data)
        applied = await cases.add_entries(
            change.report_id, [timeline_entry(event.id, change.stage, change.at)]
        )
        statuses.forget(change.report_id)
        return Outcome.APPLIED if applied else Outcome.REPEAT
    return Outcome.IGNORED  # other event types are not the tracker's business


async def handle_many(
    cases: CaseStore,
    statuses: RecentStatuses,
    producer: AIOKafkaProducer,
    events: list[tuple[Envelope, str]],
) -> list[Outcome]:
    """A poll's events in two writes: new cases in one, stage entries in another. The few that
    cannot go in bulk (a repeat, a case a stage opened first) go through `handle`."""
    outcomes: list[Outcome] = []
    openings: list[tuple[str, list[dict[str, Any]], str]] = []
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
            openings.append((submitted.report_id, entries, submitted.tracking_code_hash))
            opening_events.append((position, event, topic, acknowledgement))
        elif event.type == STAGE_CHANGED_V1 and event.source == SOURCE:
            outcomes[position] = Outcome.REPEAT
        elif event.type == STAGE_CHANGED_V1:
            change = StageChanged.model_validate(event.data)
            additions.append((change.report_id, timeline_entry(event.id, change.stage, change.at)))
            addition_events.append((position, event, topic))
        else:
            outcomes[position] = Outcome.IGNORED

    existing = await cases.open_many(openings) if openings else set()
    for report_id, _, code_hash in openings:
        statuses.forget(report_id, code_hash)
    sent = []
    for index, (position, event, topic, acknowledgement) in enumerate(opening_events):
        if index in existing:
            outcomes[position] = await handle(cases, statuses, producer, event, topic)
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
        outcomes[position] = await handle(cases, statuses, producer, event, topic)
    return outcomes
