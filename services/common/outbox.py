"""The transactional outbox every service shares: events wait inside the document they are about.

An event is written into its owner's document in the same single-document write as the change
it announces (a new report, a case's transition), so no multi-document transaction is needed
and none is lost: the document holds

    "outbox": [{"id": <event id>, "topic": <topic>, "key": <partition key>, "body": <event>}],
    "outbox_pending": True        (only while any entry waits; the sweep's index)
    "outbox_published": <n>       (the first n entries are published ...)
    "outbox_broker": <cluster id> (... to the broker with this cluster id)

`OutboxRelay` publishes them: documents just written are handed over in memory and published at
once; a periodic sweep publishes whatever that missed (Kafka away, a restart); published
entries are marked, one write for the rounds published within MARK_WAIT_SECONDS, and kept.
A broker can lose what it was given (the embedded one keeps nothing across a restart): each
sweep asks the broker for its cluster id, and when it is not the one the published entries
went to, they are all published again.
Either path can publish an event twice, never zero times; consumers recognise repeats by
event id.

Entries written before this shape are still published: intake's `{"id", "topic", "event"}` and
the tracker's `{"id", "body": <bytes>}` (its topic and key come from the relay and the owner).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from pymongo.asynchronous.collection import AsyncCollection

from services.common.events import Envelope, utcnow
from services.common.kafka import cluster_id

log = logging.getLogger(__name__)

OUTBOX = "outbox"
PENDING = "outbox_pending"
PUBLISHED = "outbox_published"
BROKER = "outbox_broker"
# For this long after the relay sees a new broker, each sweep looks for entries published to
# an older one (a publish in flight when the broker changed is marked with the old id).
STALE_WINDOW = timedelta(seconds=60)
# At most this many documents per publishing round (fresh or swept).
BATCH = 500
# How long a mark waits for the rounds published after it, to go in one update with them.
MARK_WAIT_SECONDS = 0.2
# At most this many ids in one marking update.
MARK_CHUNK = 1000

EVENTS_PUBLISHED = Counter("tipline_outbox_published_total", "Outbox events published to Kafka")
EVENTS_REPUBLISHED = Counter(
    "tipline_outbox_republished_total",
    "Outbox events published again because the broker that had them lost them",
)
PUBLISH_FAILURES = Counter("tipline_outbox_publish_failures_total", "Failed outbox publish rounds")
OUTBOX_BACKLOG = Gauge(
    "tipline_outbox_backlog", "Documents whose events await publishing (last sweep)"
)


# -- the document shape (pure) -------------------------------------------------------------


def entry(event: Envelope, topic: str) -> dict[str, Any]:
    """One event as it waits in its owner's outbox, keyed by its subject (the report id), so
    one report's events stay ordered in one partition."""
    return {
        "id": event.id,
        "topic": topic,
        "key": event.subject,
        "body": event.model_dump(mode="json"),
    }


def new_document_fields(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The outbox fields of a document written whole (e.g. a new report)."""
    return {OUTBOX: list(entries), PENDING: True}


def with_entries(update: dict[str, Any], entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """`update` (a MongoDB update document) that also adds `entries` to the outbox, for a
    conditional write that must carry its events with it. `update` itself is left as it was."""
    added = list(entries)
    if not added:
        return update
    merged = {operator: dict(fields) for operator, fields in update.items()}
    merged.setdefault("$push", {})[OUTBOX] = {"$each": added}
    merged.setdefault("$set", {})[PENDING] = True
    return merged


@dataclass(frozen=True)
class Message:
    topic: str
    key: bytes
    value: bytes


def message_of(
    outbox_entry: dict[str, Any], owner_id: str, default_topic: str | None = None
) -> Message:
    """What goes to Kafka for one entry, whichever shape it was written in."""
    if "event" in outbox_entry:  # intake's shape before this module: {id, topic, event}
        event = outbox_entry["event"]
        return Message(outbox_entry["topic"], str(event["subject"]).encode(), _encoded(event))
    topic = outbox_entry.get("topic") or default_topic
    if topic is None:
        raise ValueError("an outbox entry without a topic needs the relay's default topic")
    key = outbox_entry.get("key") or owner_id  # the tracker's old shape had no key: the case id
    return Message(str(topic), str(key).encode(), _encoded(outbox_entry["body"]))


def _encoded(body: Any) -> bytes:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    return json.dumps(body).encode()


def to_send(document: dict[str, Any], broker: str) -> list[dict[str, Any]]:
    """The entries to publish to `broker`: those not published yet, or all of them when the
    published ones went to another broker (which has lost them)."""
    entries: list[dict[str, Any]] = document.get(OUTBOX, [])
    if document.get(BROKER) not in (None, broker):
        return list(entries)
    return entries[int(document.get(PUBLISHED, 0)) :]


def stale_filter(broker: str) -> dict[str, Any]:
    """Documents whose published entries went to a broker other than `broker`."""
    return {BROKER: {"$exists": True, "$ne": broker}}


def pending_filter(age_field: str, written_before: datetime) -> dict[str, Any]:
    """Documents whose events still wait, written long enough ago that the at-once path had its
    chance (so a fresh document is not published twice as a matter of course)."""
    return {PENDING: True, age_field: {"$lt": written_before}}


def unflagged_filter() -> dict[str, Any]:
    """Documents with waiting entries but no pending flag: written before the flag existed."""
    return {f"{OUTBOX}.0": {"$exists": True}, PENDING: {"$exists": False}}


def published_writes(
    documents: Iterable[dict[str, Any]], broker: str
) -> list[tuple[dict[str, Any], dict]]:
    """The writes that mark the outboxes just published to `broker`: one per outbox size.

    The size in the filter is what was published: a document that gained an event meanwhile no
    longer matches and stays pending, so the sweep sends the rest (and repeats the rest
    harmlessly, consumers deduplicating). The entries stay, for a broker that loses them."""
    by_size: dict[int, list[Any]] = {}
    for document in documents:
        by_size.setdefault(len(document.get(OUTBOX, [])), []).append(document["_id"])
    return [
        (
            {"_id": {"$in": ids[start : start + MARK_CHUNK]}, OUTBOX: {"$size": size}},
            {"$set": {PUBLISHED: size, BROKER: broker}, "$unset": {PENDING: ""}},
        )
        for size, ids in by_size.items()
        for start in range(0, len(ids), MARK_CHUNK)
    ]


def merged_rounds(
    rounds: Iterable[tuple[list[dict[str, Any]], str]],
) -> dict[str, list[dict[str, Any]]]:
    """Published rounds, as (documents, broker), merged per broker for one marking."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for documents, broker in rounds:
        merged.setdefault(broker, []).extend(documents)
    return merged


# -- the relay (I/O) -----------------------------------------------------------------------


class OutboxRelay:
    """Publishes the outboxes of one collection's documents, and marks them published.

    `age_field` is the document's time of writing (e.g. "received_at"), for the sweep's grace;
    `default_topic` is only for entries of an old shape that named none; `on_sweep` runs after
    each sweep (a clean-up that shares its rhythm); `on_new_broker` runs when the broker's
    cluster id is one this relay has not seen (e.g. making the topics a new broker lacks)."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        *,
        poll_seconds: float,
        age_field: str,
        default_topic: str | None = None,
        sweep_grace: timedelta = timedelta(seconds=5),
        on_sweep: Callable[[], Awaitable[None]] | None = None,
        on_new_broker: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.collection = collection
        self.producer: AIOKafkaProducer | None = None  # set once Kafka has been reached
        self.poll_seconds = poll_seconds
        self.age_field = age_field
        self.default_topic = default_topic
        self.sweep_grace = sweep_grace
        self.on_sweep = on_sweep
        self.on_new_broker = on_new_broker
        self.broker: str | None = None  # the cluster id last seen
        self._look_for_stale_until = utcnow()
        # Bounded: while Kafka is away the sweep, not memory, holds what is waiting.
        self._fresh: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)
        self._published: asyncio.Queue[tuple[list[dict[str, Any]], str]] = asyncio.Queue()

    def hand_over(self, document: dict[str, Any]) -> None:
        """A document just written with its outbox: publish it now, not at the next sweep.
        It must carry the whole outbox and its marks, as stored."""
        with contextlib.suppress(asyncio.QueueFull):
            self._fresh.put_nowait(
                {
                    key: document[key]
                    for key in ("_id", OUTBOX, PUBLISHED, BROKER)
                    if key in document
                }
            )

    async def run(self, producer: AIOKafkaProducer) -> None:
        """Publishes through `producer` until cancelled: at once, marking, and the sweep."""
        self.producer = producer
        await asyncio.gather(self.run_fresh(), self.run_marking(), self.run_sweep())

    async def flag_unflagged(self) -> int:
        """One-time move for documents written before the pending flag: they get it, so the
        sweep finds them. Cheap where there are none."""
        result = await self.collection.update_many(unflagged_filter(), {"$set": {PENDING: True}})
        return result.modified_count

    async def run_fresh(self) -> None:
        while True:
            batch = [await self._fresh.get()]
            while len(batch) < BATCH and not self._fresh.empty():
                batch.append(self._fresh.get_nowait())
            try:
                await self._publish(batch)
            except Exception as exc:  # the sweep publishes whatever this round missed
                log.warning("outbox relay round failed", extra={"error": type(exc).__name__})

    async def run_marking(self) -> None:
        """Marks published outboxes in the background, so publishing never waits on it.

        Marks wait up to MARK_WAIT for the rounds published meanwhile, and all of them go in
        one update (per outbox size): a report published alone is not one update of its own.
        Nothing waits on a mark; until it is written only the sweep, after its grace, would
        publish the document again (harmless, consumers deduplicating)."""
        while True:
            rounds = [await self._published.get()]
            await asyncio.sleep(MARK_WAIT_SECONDS)
            while not self._published.empty():
                rounds.append(self._published.get_nowait())
            for broker, documents in merged_rounds(rounds).items():
                try:
                    await self.mark_published(documents, broker)
                except Exception as exc:  # left pending: the sweep publishes them again
                    log.warning("marking outboxes failed", extra={"error": type(exc).__name__})

    async def run_sweep(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.check_broker()
                await self.sweep_once()
            except Exception as exc:
                log.warning("outbox sweep failed", extra={"error": type(exc).__name__})
            if self.on_sweep is not None:
                try:
                    await self.on_sweep()
                except Exception as exc:
                    log.warning("after-sweep task failed", extra={"error": type(exc).__name__})

    async def check_broker(self) -> None:
        """Asks the broker who it is. A new one (or the first one this relay sees) may lack
        what was published before: for a while each sweep re-publishes entries marked with
        another cluster id."""
        assert self.producer is not None, "the relay runs only once Kafka has been reached"
        broker = await cluster_id(self.producer)
        if broker != self.broker:
            if self.on_new_broker is not None:
                await self.on_new_broker()
            if self.broker is not None:
                log.warning("a new broker: re-publishing what the old one held")
            self.broker = broker
            self._look_for_stale_until = utcnow() + STALE_WINDOW
        if utcnow() <= self._look_for_stale_until:
            await self.republish_stale(broker)

    async def republish_stale(self, broker: str) -> int:
        """Publishes again every document whose entries went to another broker; their count."""
        count = 0
        while True:
            stale = await self.collection.find(
                stale_filter(broker), {OUTBOX: 1, PUBLISHED: 1, BROKER: 1}
            ).to_list(BATCH)
            if not stale:
                return count
            await self._send(stale, broker)
            await self.mark_published(stale, broker)
            EVENTS_REPUBLISHED.inc(sum(len(d.get(OUTBOX, [])) for d in stale))
            count += len(stale)

    async def sweep_once(self) -> None:
        pending = await self.collection.find(
            pending_filter(self.age_field, utcnow() - self.sweep_grace),
            {OUTBOX: 1, PUBLISHED: 1, BROKER: 1},
        ).to_list(BATCH)
        OUTBOX_BACKLOG.set(len(pending))
        if pending:
            await self._publish(pending)

    async def _publish(self, documents: list[dict[str, Any]]) -> None:
        """Publishes, then queues the documents for marking; on failure leaves them pending."""
        try:
            broker = await self._broker_now()
            await self._send(documents, broker)
        except Exception as exc:
            PUBLISH_FAILURES.inc()
            log.warning(
                "outbox publish failed; the sweep will retry",
                extra={"count": len(documents), "error": type(exc).__name__},
            )
            return
        self._published.put_nowait((documents, broker))

    async def publish_now(self, documents: list[dict[str, Any]]) -> None:
        """Publishes and marks before returning; raises if Kafka did not take them (for a
        caller that retries its own cause, such as a consumer)."""
        broker = await self._broker_now()
        await self._send(documents, broker)
        await self.mark_published(documents, broker)

    async def _broker_now(self) -> str:
        """The cluster id to mark with: the one the sweep saw last (if the broker changed since,
        the sweep sees that and publishes again), else asked now."""
        assert self.producer is not None, "the relay runs only once Kafka has been reached"
        return self.broker or await cluster_id(self.producer)

    async def _send(self, documents: list[dict[str, Any]], broker: str) -> None:
        messages = [
            message_of(item, str(document["_id"]), self.default_topic)
            for document in documents
            for item in to_send(document, broker)
        ]
        assert self.producer is not None, "the relay runs only once Kafka has been reached"
        sent = [
            await self.producer.send(message.topic, message.value, key=message.key)
            for message in messages
        ]
        await asyncio.gather(*sent)
        EVENTS_PUBLISHED.inc(len(messages))

    async def mark_published(self, documents: list[dict[str, Any]], broker: str) -> None:
        for query, update in published_writes(documents, broker):
            await self.collection.update_many(query, update)
