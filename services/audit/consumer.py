"""Audit's stream entry point: every report event and every access to private data goes into
the chain."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.adapters import AuditLog
from services.audit.domain import record_of
from services.audit.sample.adapters import LoggedReports, SamplePeriods
from services.common import topics
from services.common.events import Envelope
from services.common.kafka import Handlers, Outcome

# The dead-letter topic is left to operators: its messages are the ones nobody could parse.
TOPICS = (topics.REPORT_SUBMITTED, topics.REPORT_STAGE, topics.ACCESS)


async def make_handler(db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer) -> Handlers:
    log = AuditLog(db)
    await log.create_indexes()
    # The monthly sample's indexes, built here because this is where MongoDB first answers.
    await LoggedReports(db).create_indexes()
    await SamplePeriods(db).create_indexes()
    # Partitions are consumed side by side; appending one at a time keeps this process from
    # racing itself for the head of the chain.
    head = asyncio.Lock()

    async def handle(event: Envelope, topic: str) -> Outcome:
        async with head:
            appended = await log.append(record_of(event, topic))
        return Outcome.APPLIED if appended else Outcome.REPEAT

    async def handle_many(events: list[tuple[Envelope, str]]) -> list[Outcome]:
        async with head:
            appended = await log.append_many([record_of(event, topic) for event, topic in events])
        return [Outcome.APPLIED if done else Outcome.REPEAT for done in appended]

    return Handlers(one=handle, many=handle_many)
