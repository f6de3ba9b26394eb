"""The read model's consumer: its own group on the stage topic, where the classifier's
`classified` and the tracker's `concluded` events travel. Thin: parse, apply, count."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from services.classifier.insights.adapters import InsightStore
from services.classifier.insights.updates import apply_events
from services.common import topics
from services.common.events import Envelope, utcnow
from services.common.kafka import Handlers, Outcome
from services.common.runtime import ConsumerRuntime
from services.common.settings import ClassifierSettings

NAME = "classifier-insights"  # its consumer group is tipline-classifier-insights


async def make_handlers(db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer) -> Handlers:
    store = InsightStore(db)
    await store.create_indexes()

    async def handle_many(events: list[tuple[Envelope, str]]) -> list[Outcome]:
        return await apply_events(store, [event for event, _ in events], utcnow())

    async def handle(event: Envelope, topic: str) -> Outcome:
        return (await handle_many([(event, topic)]))[0]

    return Handlers(one=handle, many=handle_many)


def runtime(settings: ClassifierSettings) -> ConsumerRuntime:
    return ConsumerRuntime(
        settings,
        name=NAME,
        database=settings.database,
        topic_names=(topics.REPORT_STAGE,),
        handler_factory=make_handlers,
    )
