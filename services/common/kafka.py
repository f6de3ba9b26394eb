"""Kafka adapters: topic creation, a safe producer, and the at-least-once consumer loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    TopicAlreadyExistsError,
    UnknownError,
)
from aiokafka.protocol.metadata import MetadataRequest
from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from services.common import topics
from services.common.backoff import DEFAULT as DEFAULT_BACKOFF
from services.common.backoff import until_reachable
from services.common.events import KNOWN_EVENT_TYPES, Envelope, utcnow
from services.common.settings import CommonSettings

log = logging.getLogger(__name__)

EVENTS_APPLIED = Counter("tipline_events_applied_total", "Events applied", ["consumer", "type"])
EVENTS_DUPLICATE = Counter(
    "tipline_events_duplicate_total", "Redelivered events recognised and skipped", ["consumer"]
)
APPLY_SECONDS = Histogram(
    "tipline_event_apply_seconds", "Time to apply one event (or one batch)", ["consumer"]
)
EVENT_AGE_SECONDS = Histogram(
    "tipline_event_age_seconds",
    "From an event's creation until this consumer has applied it: the delivery delay",
    ["consumer"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
EVENTS_DEAD_LETTERED = Counter(
    "tipline_events_dead_lettered_total", "Events sent to the dead-letter topic", ["consumer"]
)


class InfrastructureUnavailable(Exception):
    """The database, the broker or another service is away: the event is not at fault."""


def is_infrastructure_error(exc: BaseException) -> bool:
    """Errors that say the infrastructure is away, not that the event is bad: the consumer
    waits and retries the same event rather than dead-lettering every event while MongoDB or
    Kafka is down. A Kafka error counts only if Kafka says a retry can succeed."""
    if isinstance(exc, KafkaTimeoutError | UnknownError):
        # aiokafka marks these not retriable, yet they are what an absent broker gives, and
        # what Tansu answers while a broker restarted empty lacks the topic (the server's
        # fault, never the event's)
        return True
    if isinstance(exc, KafkaError):
        return bool(exc.retriable)
    return isinstance(
        exc, ConnectionFailure | ConnectionError | TimeoutError | httpx.TransportError
    )


@contextlib.contextmanager
def infrastructure_errors_marked() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if is_infrastructure_error(exc):
            raise InfrastructureUnavailable(type(exc).__name__) from exc
        raise


async def ensure_topics(settings: CommonSettings, names: Iterable[str] = topics.ALL_TOPICS) -> None:
    """Create missing topics with the configured partition count.

    Auto-created topics get the broker's default count, and faust refuses to run when a topic
    and its changelog differ, so every topic is created explicitly at start-up.
    """
    names = list(names)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
            )
            for name in names
            if name not in existing
        ]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another service created it first
            log.info("topics created", extra={"count": len(missing)})
        absent = set(names) - set(await admin.list_topics())
        if absent:
            raise KafkaError(f"topics still missing after creation: {sorted(absent)}")
    finally:
        await admin.close()


def make_producer(settings: CommonSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",  # an event that must not be lost waits for every in-sync replica
        enable_idempotence=settings.kafka_idempotent_producer,
        request_timeout_ms=10_000,
    )


async def start_producer_when_reachable(settings: CommonSettings) -> AIOKafkaProducer:
    """Creates the topics and starts a producer, waiting with back-off until Kafka answers."""

    async def attempt() -> AIOKafkaProducer:
        producer = make_producer(settings)
        try:
            await ensure_topics(settings)
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        return producer

    return await until_reachable("kafka", attempt)


async def publish(producer: AIOKafkaProducer, topic: str, event: Envelope) -> None:
    await producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())


async def cluster_id(producer: AIOKafkaProducer) -> str:
    """The broker's cluster id (a metadata request naming no topic): a broker that restarted
    empty comes back with a new one (deploy/local/stack.py gives each start its own)."""
    client = producer.client
    node = client.get_random_node()
    if node is None:
        raise KafkaConnectionError("no broker known")
    response = await client.send(node, MetadataRequest([]))
    return str(response.to_object()["cluster_id"])


# Longest a consumer may take to start (join its group) or to stop before it is tried again.
CONSUMER_START_SECONDS = 30.0


class NewBroker(Exception):
    """The broker is another one than the consumer started on: its positions mean nothing."""


class BrokerWatch:
    """Notices, at most every `every_seconds`, that the broker has another cluster id than the
    first one seen: a broker restarted empty, whose topics start again at offset 0, where a
    consumer's positions from before would skip every new event below them."""

    def __init__(self, producer: AIOKafkaProducer, every_seconds: float = 5.0) -> None:
        self.producer = producer
        self.every = every_seconds
        self.seen: str | None = None
        self._next = 0.0

    async def changed(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.every
        try:
            current = await cluster_id(self.producer)
        except Exception:
            return False  # away: the consumer's own errors say so
        first, self.seen = self.seen, current
        return first is not None and first != current


async def kafka_reachable(producer: AIOKafkaProducer) -> bool:
    try:
        async with asyncio.timeout(2.0):
            await producer.client.fetch_all_metadata()
    except Exception:
        return False
    return True


class Outcome(StrEnum):
    APPLIED = "applied"
    REPEAT = "repeat"  # the event id was already recorded with its effect: nothing changed
    IGNORED = "ignored"  # not this consumer's business (another event type)


# A handler records the event id in the same atomic write as the effect it makes (under a
# unique index), so a redelivered event is recognised there and changes nothing.
Handler = Callable[[Envelope, str], Awaitable[Outcome]]
# Optional: applies many events in one go (one database write instead of one per event). It
# must be all-or-nothing per event like the Handler; when it fails, the events are retried one
# by one so that a bad one is isolated and dead-lettered alone.
BatchHandler = Callable[[list[tuple[Envelope, str]]], Awaitable[list[Outcome]]]


@dataclass(frozen=True)
class Handlers:
    one: Handler
    many: BatchHandler | None = None


@dataclass(frozen=True)
class RawMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class EventProcessor:
    """Hands each event to its handler, retries a bounded number of times, dead-letters the rest.

    Used by every consumer (aiokafka loops and the faust agent alike), so one bad message
    never stops a stream and none is silently dropped.
    """

    def __init__(
        self,
        *,
        consumer: str,
        handler: Handler,
        producer: AIOKafkaProducer,
        batch_handler: BatchHandler | None = None,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        parallelism: int = 16,
    ) -> None:
        self.consumer = consumer
        self.handler = handler
        self.batch_handler = batch_handler
        self._parallel = asyncio.Semaphore(parallelism)
        self.producer = producer
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay

    async def process_many(self, partitions: Iterable[list[RawMessage]]) -> None:
        """One poll's messages. Different reports run side by side (up to `parallelism` at
        once); one report's events, which share a key, keep their order."""
        messages = [m for batch in partitions for m in batch]
        if self.batch_handler is None:
            await self._process_by_report(messages)
            return
        while True:
            try:
                await self._process_batch_once(messages)
                return
            except InfrastructureUnavailable as exc:
                log.warning(
                    "infrastructure unavailable; retrying the same batch",
                    extra={"count": len(messages), "error": type(exc).__name__},
                )
                await asyncio.sleep(1.0)

    async def _process_by_report(self, messages: list[RawMessage]) -> None:
        by_report: dict[bytes | None, list[RawMessage]] = {}
        for message in messages:
            by_report.setdefault(message.key, []).append(message)
        await asyncio.gather(*(self._process_in_order(m) for m in by_report.values()))

    async def _process_in_order(self, messages: list[RawMessage]) -> None:
        async with self._parallel:
            for message in messages:
                await self.process(message)

    async def _process_batch_once(self, messages: list[RawMessage]) -> None:
        assert self.batch_handler is not None
        parsed: list[tuple[Envelope, str]] = []
        readable: list[RawMessage] = []
        for message in messages:
            try:
                parsed.append((Envelope.from_bytes(message.value or b""), message.topic))
                readable.append(message)
            except ValidationError:
                await self.process(message)  # dead-letters it with the reason
        if not parsed:
            return
        messages = readable  # a fallback below must not dead-letter the unreadable twice
        try:
            with APPLY_SECONDS.labels(self.consumer).time(), infrastructure_errors_marked():
                outcomes = await self.batch_handler(parsed)
        except InfrastructureUnavailable:
            raise
        except Exception as exc:
            log.warning(
                "batch failed; applying its events one by one",
                extra={"count": len(parsed), "error": type(exc).__name__},
            )
            await self._process_by_report(messages)
            return
        for (event, _), outcome in zip(parsed, outcomes, strict=True):
            self._count(event, outcome)

    async def process(self, message: RawMessage) -> None:
        """Never raises for a bad event; waits out an absent database or broker instead."""
        while True:
            try:
                await self._process_once(message)
                return
            except InfrastructureUnavailable as exc:
                log.warning(
                    "infrastructure unavailable; retrying the same message",
                    extra={"offset": message.offset, "error": type(exc).__name__},
                )
                await asyncio.sleep(1.0)

    async def _process_once(self, message: RawMessage) -> None:
        try:
            event = Envelope.from_bytes(message.value or b"")
        except ValidationError as exc:
            fields = ",".join(".".join(str(p) for p in err["loc"]) or "$" for err in exc.errors())
            await self.dead_letter(message, f"unparseable event: invalid {fields}")
            return
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self._apply_once(event, message.topic)
                return
            except InfrastructureUnavailable:
                raise
            except Exception as exc:
                error_name = type(exc).__name__
                log.warning(
                    "event failed",
                    extra={"event_id": event.id, "attempt": attempt, "error": error_name},
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.retry_delay * attempt)
        await self.dead_letter(
            message,
            f"apply failed after {self.max_attempts} attempts: {error_name}",
            event_id=event.id,
        )

    async def _apply_once(self, event: Envelope, topic: str) -> None:
        with APPLY_SECONDS.labels(self.consumer).time(), infrastructure_errors_marked():
            outcome = await self.handler(event, topic)
        self._count(event, outcome)

    def _count(self, event: Envelope, outcome: Outcome) -> None:
        if outcome is not Outcome.IGNORED:
            age = (utcnow() - event.time).total_seconds()
            EVENT_AGE_SECONDS.labels(self.consumer).observe(max(age, 0.0))
        if outcome is Outcome.APPLIED:
            # Only types we know become labels: any producer could write any text there.
            kind = event.type if event.type in KNOWN_EVENT_TYPES else "other"
            EVENTS_APPLIED.labels(self.consumer, kind).inc()
        elif outcome is Outcome.REPEAT:
            EVENTS_DUPLICATE.labels(self.consumer).inc()

    async def dead_letter(self, message: RawMessage, reason: str, event_id: str = "") -> None:
        # The reason names the failure, never the data: exception messages can quote content.
        headers = [
            ("reason", reason.encode()),
            ("consumer", self.consumer.encode()),
            ("source_topic", message.topic.encode()),
            ("source_partition", str(message.partition).encode()),
            ("source_offset", str(message.offset).encode()),
            ("failed_at", utcnow().isoformat().encode()),
        ]
        with infrastructure_errors_marked():
            await self.producer.send_and_wait(
                topics.DEAD_LETTER, message.value or b"", key=message.key, headers=headers
            )
        EVENTS_DEAD_LETTERED.labels(self.consumer).inc()
        log.error(
            "event dead-lettered",
            extra={
                "event_id": event_id,
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
                "reason": reason,
            },
        )


async def consume_forever(
    settings: CommonSettings,
    *,
    group_id: str,
    topic_names: Iterable[str],
    processor: EventProcessor,
    on_ready: Callable[[bool], None] = lambda ready: None,
) -> None:
    """Consume with manual commits: offsets move only after their events are applied."""
    names = list(topic_names)
    delay, failures = DEFAULT_BACKOFF.delays(), 0
    watch = BrokerWatch(processor.producer)
    while True:
        if failures:
            # A broker restarted empty has no topics: make them again before subscribing.
            with contextlib.suppress(Exception):
                await ensure_topics(settings)
        consumer = AIOKafkaConsumer(
            *names,
            bootstrap_servers=settings.bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=settings.kafka_session_timeout_ms,
            fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
            heartbeat_interval_ms=max(settings.kafka_session_timeout_ms // 5, 500),
        )
        try:
            async with asyncio.timeout(CONSUMER_START_SECONDS):  # a group join can hang
                await consumer.start()
            on_ready(True)
            failures = 0
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                await processor.process_many(
                    [
                        [RawMessage(m.topic, m.partition, m.offset, m.key, m.value) for m in msgs]
                        for msgs in batches.values()
                    ]
                )
                if batches:
                    await consumer.commit()
                if await watch.changed():
                    raise NewBroker("a new broker: consuming it from its start")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            on_ready(False)
            failures += 1
            log.error(
                "consumer failed; restarting",
                extra={"error": type(exc).__name__, "attempt": failures},
            )
            await asyncio.sleep(delay(failures))
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CONSUMER_START_SECONDS):
                    await consumer.stop()
