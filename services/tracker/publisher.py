"""Tracker's publishers of stage events: the adapters behind `workflow.StagePublisher`.

A staff move stores its event in the case's outbox in the same write as the change; the API's
publisher sends it at once when Kafka is there, and the sweep sends whatever is left. The
consumer's publisher raises instead, so the event that caused the change is retried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer

from services.common import kafka, topics
from services.common.events import Envelope
from services.common.settings import TrackerSettings
from services.tracker.adapters import CaseStore

log = logging.getLogger(__name__)

OUTBOX_SWEEP_SECONDS = 2.0


class Outbox(Protocol):
    async def mark_published(self, report_id: str, event_id: str) -> None: ...


async def send(producer: AIOKafkaProducer, events: Sequence[Envelope]) -> None:
    """All the events handed to the producer first, then awaited together."""
    sent = [
        await producer.send(topics.REPORT_STAGE, event.to_bytes(), key=event.subject.encode())
        for event in events
    ]
    await asyncio.gather(*sent)


class ConsumerPublisher:
    """For the consumer, on the producer its runtime gives it: a failure raises."""

    def __init__(self, producer: AIOKafkaProducer, outbox: Outbox) -> None:
        self.producer = producer
        self.outbox = outbox

    async def publish(self, events: Sequence[Envelope]) -> None:
        await send(self.producer, events)

    async def publish_recorded(self, report_id: str, event: Envelope) -> None:
        await kafka.publish(self.producer, topics.REPORT_STAGE, event)
        await self.outbox.mark_published(report_id, event.id)


class OutboxPublisher:
    """For the API: publishes at once when Kafka is there; otherwise the sweep does it later.
    `producer` is None until Kafka has been reached (`sweep_outbox` connects it)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.producer: AIOKafkaProducer | None = None

    async def publish(self, events: Sequence[Envelope]) -> None:
        if self.producer is None:
            raise kafka.InfrastructureUnavailable("Kafka has not been reached yet")
        await send(self.producer, events)

    async def publish_recorded(self, report_id: str, event: Envelope) -> None:
        if self.producer is None:
            return
        try:
            await kafka.publish(self.producer, topics.REPORT_STAGE, event)
        except Exception as exc:
            log.warning(
                "stage event left for the sweep",
                extra={"report_id": report_id, "error": type(exc).__name__},
            )
            return
        await self.outbox.mark_published(report_id, event.id)

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()


async def sweep_outbox(
    publisher: OutboxPublisher, settings: TrackerSettings, store: CaseStore
) -> None:
    """Connects the API's producer (access records and stage events), then publishes whatever
    stage events are still in a case's outbox every few seconds."""
    producer = await kafka.start_producer_when_reachable(settings)
    publisher.producer = producer
    while True:
        try:
            for case in await store.unpublished():
                for pending in case.get("outbox", []):
                    await producer.send_and_wait(
                        topics.REPORT_STAGE, bytes(pending["body"]), key=str(case["_id"]).encode()
                    )
                    await store.mark_published(case["_id"], pending["id"])
        except Exception as exc:  # Kafka or the database away: the next sweep tries again
            log.warning("outbox sweep stopped early", extra={"error": type(exc).__name__})
        await asyncio.sleep(OUTBOX_SWEEP_SECONDS)
