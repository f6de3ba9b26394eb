"""Tracker's publishers of stage events: the adapters behind `workflow.StagePublisher`.

A staff move or a routing stores its event in the case's outbox in the same write as the
change (the common outbox, services/common/outbox.py). The API's publisher hands the case to
the relay, which publishes at once when Kafka is there, and its sweep sends whatever is left.
The consumer's publisher publishes and marks before it returns, and raises instead, so the
event that caused the change is retried."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.collection import AsyncCollection

from services.common import kafka, topics
from services.common.events import Envelope
from services.common.outbox import BROKER, OUTBOX, PUBLISHED, OutboxRelay
from services.common.settings import TrackerSettings

log = logging.getLogger(__name__)

OUTBOX_SWEEP_SECONDS = 2.0
# A case's time of writing, for the sweep's grace (every write sets it).
WRITTEN_AT = "updated_at"


def relay_for(
    cases: AsyncCollection[dict[str, Any]], settings: TrackerSettings | None = None
) -> OutboxRelay:
    """The relay of the cases' outboxes (entries written before the common shape named no
    topic: theirs is the stage topic). With `settings` it makes the topics a new broker
    lacks."""
    return OutboxRelay(
        cases,
        poll_seconds=OUTBOX_SWEEP_SECONDS,
        age_field=WRITTEN_AT,
        default_topic=topics.REPORT_STAGE,
        on_new_broker=None if settings is None else (lambda: kafka.ensure_topics(settings)),
    )


async def _stored_outbox(relay: OutboxRelay, report_id: str) -> dict[str, Any] | None:
    """The case's outbox as stored, with its marks: what the relay publishes and marks."""
    return await relay.collection.find_one({"_id": report_id}, {OUTBOX: 1, PUBLISHED: 1, BROKER: 1})


async def send(producer: AIOKafkaProducer, events: Sequence[Envelope]) -> None:
    """All the events handed to the producer first, then awaited together."""
    sent = [
        await producer.send(topics.REPORT_STAGE, event.to_bytes(), key=event.subject.encode())
        for event in events
    ]
    await asyncio.gather(*sent)


class ConsumerPublisher:
    """For the consumer, on the producer its runtime gives it: a failure raises.

    Within `held()` (a poll's batch), recorded events are published when the batch ends, all
    the cases' outboxes read in one query and marked in one update, instead of a read and a
    mark per case. A failure there fails the batch; the entries stay pending in the cases,
    where the API's relay sweeps them up."""

    def __init__(self, producer: AIOKafkaProducer, relay: OutboxRelay) -> None:
        self.producer = producer
        self.relay = relay
        relay.producer = producer
        self._held: list[str] | None = None

    async def publish(self, events: Sequence[Envelope]) -> None:
        await send(self.producer, events)

    async def publish_recorded(self, report_id: str, event: Envelope) -> None:
        if self._held is not None:
            self._held.append(report_id)
            return
        stored = await _stored_outbox(self.relay, report_id)
        if stored is not None:
            await self.relay.publish_now([stored])

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Recorded events wait for the end of the block, then go together."""
        self._held = []
        try:
            yield
            held = list(dict.fromkeys(self._held))
        finally:
            self._held = None
        if held:
            stored = await self.relay.collection.find(
                {"_id": {"$in": held}}, {OUTBOX: 1, PUBLISHED: 1, BROKER: 1}
            ).to_list(None)
            if stored:
                await self.relay.publish_now(stored)


class OutboxPublisher:
    """For the API: hands recorded events to the relay, which publishes them at once when
    Kafka is there and sweeps up the rest. `producer` is None until Kafka has been reached
    (`run_outbox` connects it)."""

    def __init__(self, relay: OutboxRelay) -> None:
        self.relay = relay
        self.producer: AIOKafkaProducer | None = None

    async def publish(self, events: Sequence[Envelope]) -> None:
        if self.producer is None:
            raise kafka.InfrastructureUnavailable("Kafka has not been reached yet")
        await send(self.producer, events)

    async def publish_recorded(self, report_id: str, event: Envelope) -> None:
        try:
            stored = await _stored_outbox(self.relay, report_id)
        except Exception as exc:  # the move is stored with its event: the sweep sends it
            log.warning(
                "stage event left for the sweep",
                extra={"report_id": report_id, "error": type(exc).__name__},
            )
            return
        if stored is not None:
            self.relay.hand_over(stored)

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()


async def run_outbox(publisher: OutboxPublisher, settings: TrackerSettings) -> None:
    """Connects the API's producer (access records and stage events), then runs the relay:
    at once, and a sweep every few seconds for whatever that missed."""
    producer = await kafka.start_producer_when_reachable(settings)
    publisher.producer = producer
    try:
        await publisher.relay.flag_unflagged()  # cases written before the pending flag
    except Exception as exc:  # the database away: such cases wait for the next start
        log.warning("outbox flagging failed", extra={"error": type(exc).__name__})
    await publisher.relay.run(producer)
