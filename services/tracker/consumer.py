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
from services.common.kafka import ApplyOneByOne, Handlers, Outcome, publish
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
    """A poll's events in two writes: new cases in one, stage entries in another. Anything
    unusual in the batch (a repeat, a stage before its case) sends it through `handle`."""
    outcomes: list[Outcome] = []
    openings: list[tuple[str, list[dict[str, Any]], str]] = []
    received: list[Envelope] = []
    additions: list[tuple[str, dict[str, Any]]] = []
    for event, _ in events:
        if event.type == SUBMITTED_V1:
            submitted = ReportSubmitted.model_validate(event.data)
            acknowledgement = received_event(event.id, submitted.report_id)
            entries = [
                timeline_entry(event.id, Stage.SUBMITTED, submitted.submitted_at),
                timeline_entry(acknowledgement.id, Stage.RECEIVED, acknowledgement.time),
            ]
            openings.append((submitted.report_id, entries, submitted.tracking_code_hash))
            received.append(acknowledgement)
            outcomes.append(Outcome.APPLIED)
        elif event.type == STAGE_CHANGED_V1 and event.source == SOURCE:
            outcomes.append(Outcome.REPEAT)
        elif event.type == STAGE_CHANGED_V1:
            change = StageChanged.model_validate(event.data)
            additions.append((change.report_id, timeline_entry(event.id, change.stage, change.at)))
            outcomes.append(Outcome.APPLIED)
        else:
            outcomes.append(Outcome.IGNORED)
    opened = not openings or await cases.open_many(openings)
    for report_id, _, code_hash in openings:
        statuses.forget(report_id, code_hash)
    if not opened:
        raise ApplyOneByOne
    sent = [
        await producer.send(topics.REPORT_STAGE, event.to_bytes(), key=event.subject.encode())
        for event in received
    ]
    await asyncio.gather(*sent)
    added = not additions or await cases.add_to_many(additions)
    for report_id, _ in additions:
        statuses.forget(report_id)
    if not added:
        raise ApplyOneByOne
    return outcomes
