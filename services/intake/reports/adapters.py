"""Intake's adapters: the report store, the outbox relay that publishes its events, and the
messaging-app conversations still being written."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.common.crypto import Keyring
from services.common.events import utcnow
from services.common.mongo import BatchInserter

log = logging.getLogger(__name__)

EVENTS_PUBLISHED = Counter("tipline_outbox_published_total", "Outbox events published to Kafka")
PUBLISH_FAILURES = Counter("tipline_outbox_publish_failures_total", "Failed outbox publish rounds")
OUTBOX_BACKLOG = Gauge(
    "tipline_outbox_backlog", "Reports whose events await publishing (last sweep)"
)


class ReportStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.reports = db["reports"]
        self.inserter = BatchInserter(self.reports)

    async def create_indexes(self) -> None:
        await self.reports.create_index(
            [("idempotency.key_hash", ASCENDING)], unique=True, sparse=True
        )
        await self.reports.create_index([("outbox_pending", ASCENDING)], sparse=True)
        await self.reports.create_index([("idempotency.expires_at", ASCENDING)], sparse=True)

    async def insert(self, document: dict[str, Any]) -> None:
        await self.inserter.insert(document)

    async def find_by_idempotency_key(self, key_hash: str) -> dict[str, Any] | None:
        return await self.reports.find_one({"idempotency.key_hash": key_hash}, {"idempotency": 1})

    async def sealed(self, report_id: str) -> dict[str, Any] | None:
        """The stored report as it is at rest: clear fields, wrapped key, sealed parts."""
        return await self.reports.find_one(
            {"_id": report_id},
            {"channel": 1, "language": 1, "data_key": 1, "sealed": 1, "scope": 1},
        )

    async def set_scope(self, report_id: str, change: dict[str, str | None]) -> None:
        # Once a team is assigned, the assignment decides the scope: a classification seen
        # again (a redelivery) must not put back the province a case was routed away from.
        only_unassigned = {} if "team" in change else {"scope.team": None}
        await self.reports.update_one(
            {"_id": report_id, **only_unassigned},
            {"$set": {f"scope.{name}": value for name, value in change.items()}},
        )

    async def forget_idempotency(self, report_id: str) -> None:
        await self.reports.update_one({"_id": report_id}, {"$unset": {"idempotency": ""}})

    async def forget_expired_idempotency(self) -> None:
        await self.reports.update_many(
            {"idempotency.expires_at": {"$lt": utcnow()}}, {"$unset": {"idempotency": ""}}
        )


class OutboxRelay:
    """Publishes each report's pending events, then removes them from the report.

    Fresh reports are handed over in memory for low latency; a periodic sweep of the database
    publishes whatever that missed (Kafka was away, the process restarted). Either path can
    publish an event twice, never zero times; consumers recognise repeats by event id.
    """

    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        *,
        poll_seconds: float,
        sweep_grace: timedelta = timedelta(seconds=5),
        on_sweep: Any = None,
    ) -> None:
        self.reports = db["reports"]
        self.producer: AIOKafkaProducer | None = None  # set once Kafka has been reached
        self.poll_seconds = poll_seconds
        self.sweep_grace = sweep_grace
        self.on_sweep = on_sweep
        # Bounded: while Kafka is away the sweep, not memory, holds what is waiting.
        self._fresh: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)
        self._published: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()

    def hand_over(self, document: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._fresh.put_nowait({"_id": document["_id"], "outbox": document["outbox"]})

    async def run_fresh(self) -> None:
        while True:
            batch = [await self._fresh.get()]
            while len(batch) < 500 and not self._fresh.empty():
                batch.append(self._fresh.get_nowait())
            try:
                await self._publish(batch)
            except Exception as exc:  # the sweep publishes whatever this round missed
                log.warning("outbox relay round failed", extra={"error": type(exc).__name__})

    async def run_marking(self) -> None:
        """Marks published outboxes in the background, so publishing never waits on it."""
        while True:
            documents = await self._published.get()
            while not self._published.empty():
                documents += self._published.get_nowait()
            try:
                await self._mark_published(documents)
            except Exception as exc:  # left pending: the sweep publishes them again
                log.warning("marking outboxes failed", extra={"error": type(exc).__name__})

    async def run_sweep(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.sweep_once()
                if self.on_sweep is not None:
                    await self.on_sweep()
            except Exception as exc:
                log.warning("outbox sweep failed", extra={"error": type(exc).__name__})

    async def sweep_once(self) -> None:
        cutoff = utcnow() - self.sweep_grace
        pending = await self.reports.find(
            {"outbox_pending": True, "received_at": {"$lt": cutoff}}, {"outbox": 1}
        ).to_list(500)
        OUTBOX_BACKLOG.set(len(pending))
        if pending:
            await self._publish(pending)

    async def _publish(self, documents: list[dict[str, Any]]) -> None:
        """Publishes, then queues the documents for marking; on failure leaves them pending."""
        entries = [entry for doc in documents for entry in doc.get("outbox", [])]
        assert self.producer is not None, "the relay runs only once Kafka has been reached"
        try:
            sent = [
                await self.producer.send(
                    entry["topic"],
                    json.dumps(entry["event"]).encode(),
                    key=entry["event"]["subject"].encode(),
                )
                for entry in entries
            ]
            await asyncio.gather(*sent)
        except Exception as exc:
            PUBLISH_FAILURES.inc()
            log.warning(
                "outbox publish failed; the sweep will retry",
                extra={"count": len(entries), "error": type(exc).__name__},
            )
            return
        self._published.put_nowait(documents)
        EVENTS_PUBLISHED.inc(len(entries))

    async def _mark_published(self, documents: list[dict[str, Any]]) -> None:
        """Empties the outboxes just published, in one write per outbox size.

        The size in the filter is what was published: a report that gained an event meanwhile
        no longer matches and stays pending, so the sweep sends the rest (and repeats the rest
        harmlessly, consumers deduplicating)."""
        by_size: dict[int, list[str]] = {}
        for doc in documents:
            by_size.setdefault(len(doc.get("outbox", [])), []).append(doc["_id"])
        for size, ids in by_size.items():
            await self.reports.update_many(
                {"_id": {"$in": ids}, "outbox": {"$size": size}},
                {"$set": {"outbox": []}, "$unset": {"outbox_pending": ""}},
            )


class ConversationStore:
    """Messaging-app conversations while a reporter is still writing, sealed at rest.

    A conversation is found by a keyed hash of the platform and the sender's platform id (never
    stored in the clear). Its parts are sealed under its own data key (registered in
    `services/common/keys.py`), and it is erased when the report is submitted, when the
    reporter cancels, or `ttl_hours` after it began (TTL index). After a submission only the
    sealed reply is kept, so a platform's retry of the same message gets the same answer.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], keyring: Keyring, ttl_hours: int):
        self.conversations = db["conversations"]
        self.keyring = keyring
        self.ttl = timedelta(hours=ttl_hours)

    async def create_indexes(self) -> None:
        await self.conversations.create_index("expires_at", expireAfterSeconds=0)

    async def find(self, conversation_id: str) -> Conversation | None:
        document = await self.conversations.find_one({"_id": conversation_id})
        if document is None or document["expires_at"].replace(tzinfo=UTC) <= utcnow():
            return None
        key = self.keyring.open_data_key(document["data_key"], conversation_id)
        parts = [key.open("part", bytes(p)).decode() for p in document.get("parts", [])]
        reply = document.get("reply")
        return Conversation(
            conversation_id=conversation_id,
            parts=parts,
            seen=list(document.get("seen", [])),
            reply=key.open("reply", bytes(reply)).decode() if reply is not None else None,
        )

    async def add_part(self, conversation_id: str, text: str, message_hash: str) -> None:
        """Appends a part, starting the conversation (and its key) if it is new or finished."""
        document = await self.conversations.find_one(
            {"_id": conversation_id}, {"data_key": 1, "reply": 1}
        )
        if document is None or "reply" in document:
            key, wrapped = self.keyring.new_data_key(conversation_id)
            await self.conversations.replace_one(
                {"_id": conversation_id},
                {
                    "_id": conversation_id,
                    "data_key": wrapped,
                    "parts": [key.seal("part", text.encode())],
                    "seen": [message_hash],
                    "expires_at": utcnow() + self.ttl,
                },
                upsert=True,
            )
            return
        key = self.keyring.open_data_key(document["data_key"], conversation_id)
        await self.conversations.update_one(
            {"_id": conversation_id},
            {"$push": {"parts": key.seal("part", text.encode()), "seen": message_hash}},
        )

    async def finish(self, conversation_id: str, reply: str, message_hash: str) -> None:
        """The report is in: drop the parts, keep only the sealed reply for retries."""
        key, wrapped = self.keyring.new_data_key(conversation_id)
        await self.conversations.replace_one(
            {"_id": conversation_id},
            {
                "_id": conversation_id,
                "data_key": wrapped,
                "reply": key.seal("reply", reply.encode()),
                "seen": [message_hash],
                "expires_at": utcnow() + timedelta(hours=1),
            },
            upsert=True,
        )

    async def forget(self, conversation_id: str) -> None:
        await self.conversations.delete_one({"_id": conversation_id})


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    parts: list[str]
    seen: list[str]
    reply: str | None  # set once the report was submitted
