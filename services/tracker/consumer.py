"""Tracker's stream entry point: turns report events into case timelines."""

from __future__ import annotations

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
        return Handlers(one=partial(handle, cases, statuses, producer))

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
