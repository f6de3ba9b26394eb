"""The running parts of a consuming service: database, producer, and the consumer loop.

Tracker and audit use it from their FastAPI lifespan; the classifier uses it beside faust.
It is the one composition root for a consumer's dependencies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.common import kafka, mongo
from services.common.backoff import until_reachable
from services.common.kafka import EventProcessor, Handlers
from services.common.settings import CommonSettings

log = logging.getLogger(__name__)

# Builds the handler once the broker is reached (creating whatever indexes it relies on).
HandlerFactory = Callable[
    [AsyncDatabase[dict[str, Any]], AIOKafkaProducer], Coroutine[Any, Any, Handlers]
]


async def wait_for_infrastructure(settings: CommonSettings) -> None:
    """Returns once the broker (its topics made) and the database answer; waits with back-off
    meanwhile. For a service whose framework would exit without them (faust: "Unable to
    bootstrap")."""
    await until_reachable("kafka", lambda: kafka.ensure_topics(settings))
    client = mongo.connect(settings.mongodb_uri)
    try:
        await until_reachable("mongodb", lambda: client.admin.command("ping"))
    finally:
        await client.close()


class ConsumerRuntime:
    def __init__(
        self,
        settings: CommonSettings,
        *,
        name: str,
        database: str,
        topic_names: Iterable[str],
        handler_factory: HandlerFactory,
    ) -> None:
        self.settings = settings
        self.name = name
        self.topic_names = list(topic_names)
        self.client: AsyncMongoClient[dict[str, Any]] = mongo.connect(settings.mongodb_uri)
        self.db = self.client[database]
        self.handler_factory = handler_factory
        self.producer: AIOKafkaProducer | None = None
        self.processor: EventProcessor | None = None
        self.consuming = False
        self._tasks: list[asyncio.Task[None]] = []
        self.started = asyncio.Event()

    async def connect_kafka(self) -> None:
        """Waits for the broker, creates the topics, and builds the event processor."""

        async def attempt() -> tuple[AIOKafkaProducer, Handlers]:
            producer = kafka.make_producer(self.settings)
            try:
                await kafka.ensure_topics(self.settings)
                await producer.start()
                # Builds indexes: MongoDB must answer too before the consumer can start.
                return producer, await self.handler_factory(self.db, producer)
            except BaseException:
                await producer.stop()
                raise

        producer, handlers = await until_reachable("kafka and mongodb", attempt)
        self.producer = producer
        self.processor = EventProcessor(
            consumer=self.name,
            handler=handlers.one,
            batch_handler=handlers.many,
            producer=producer,
            max_attempts=self.settings.consumer_max_attempts,
        )
        self.started.set()

    async def consume(self) -> None:
        await self.connect_kafka()
        assert self.processor is not None
        await kafka.consume_forever(
            self.settings,
            group_id=f"tipline-{self.name}",
            topic_names=self.topic_names,
            processor=self.processor,
            on_ready=self._set_consuming,
        )

    def _set_consuming(self, consuming: bool) -> None:
        self.consuming = consuming

    def start_consuming(self) -> None:
        self._tasks.append(asyncio.create_task(self.consume()))

    async def readiness(self) -> dict[str, bool]:
        return {
            "database": await mongo.ping(self.client),
            "kafka": self.consuming
            and self.producer is not None
            and await kafka.kafka_reachable(self.producer),
        }

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.producer is not None:
            await self.producer.stop()
        await self.client.close()


class ConsumerThread:
    """Runs a service's consumer on its own event loop, in its own thread.

    A service that also answers many HTTP requests (the tracker's status page) would otherwise
    share one event loop between them: a crowd of readers refreshing their page puts hundreds
    of requests ahead of every step of the consumer that moves their cases forward. In its own
    thread the consumer gets its turn from the interpreter's thread switching instead.
    """

    def __init__(self, make_runtime: Callable[[], ConsumerRuntime], name: str) -> None:
        self.make_runtime = make_runtime
        self.name = name
        self.runtime: ConsumerRuntime | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-consumer", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._running.wait(10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self.runtime = self.make_runtime()
        self._running.set()
        try:
            await self.runtime.consume()
        except asyncio.CancelledError:
            pass
        finally:
            await self.runtime.close()

    async def readiness(self) -> dict[str, bool]:
        if self.runtime is None or self._loop is None or not self._thread.is_alive():
            return {"database": False, "kafka": False}
        checks = asyncio.run_coroutine_threadsafe(self.runtime.readiness(), self._loop)
        try:
            async with asyncio.timeout(5):
                return await asyncio.wrap_future(checks)
        except TimeoutError:
            return {"database": False, "kafka": False}

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):  # its loop has closed already
                self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout)
