"""Tracker's stream entry point: turns report events into case timelines."""

from __future__ import annotations

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
from services.common.kafka import Handler, publish
from services.tracker.adapters import CaseStore
from services.tracker.domain import received_event, timeline_entry

TOPICS = (topics.REPORT_SUBMITTED, topics.REPORT_STAGE)


def make_handler(db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer) -> Handler:
    cases = CaseStore(db)

    async def handle(event: Envelope, topic: str) -> None:
        if event.type == SUBMITTED_V1:
            submitted = ReportSubmitted.model_validate(event.data)
            await cases.add_entry(
                submitted.report_id,
                timeline_entry(event.id, Stage.SUBMITTED, submitted.submitted_at),
                tracking_code_hash=submitted.tracking_code_hash,
            )
            # Opening the case is the "received" stage; the event is the record of it, and the
            # tracker applies it to the timeline when it comes back on the stage topic.
            await publish(
                producer, topics.REPORT_STAGE, received_event(event.id, submitted.report_id)
            )
        elif event.type == STAGE_CHANGED_V1:
            change = StageChanged.model_validate(event.data)
            await cases.add_entry(
                change.report_id, timeline_entry(event.id, change.stage, change.at)
            )
        # Other event types are not the tracker's business: ignored, as the contract says.

    return handle
