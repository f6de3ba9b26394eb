"""The common outbox on real servers (MongoDB protocol, Kafka protocol): what is waiting in a
document gets published, whichever shape it was written in, and is then marked published."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from deploy.local.stack import Process, free_port, start_kafka, start_mongodb
from services.common import outbox, topics
from services.common.events import Envelope, utcnow
from services.common.kafka import cluster_id
from services.common.outbox import OutboxRelay
from services.tracker.publisher import ConsumerPublisher, relay_for
from tests.unit.test_outbox import event

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    log_dir = Path(tmp_path_factory.mktemp("logs-outbox"))
    mongo_port, kafka_port = free_port(), free_port()
    mongodb: Process = start_mongodb(mongo_port, log_dir)
    try:
        kafka: Process = start_kafka(kafka_port, log_dir)
        try:
            yield f"mongodb://127.0.0.1:{mongo_port}/", f"127.0.0.1:{kafka_port}"
        finally:
            kafka.stop()
    finally:
        mongodb.stop()


@pytest.fixture
async def collection(servers, request: pytest.FixtureRequest) -> AsyncIterator[AsyncCollection]:
    client: AsyncMongoClient = AsyncMongoClient(servers[0], tz_aware=True)
    name = f"t_{request.node.name[:40]}"
    await client.drop_database(name)
    yield client[name]["documents"]
    await client.drop_database(name)
    await client.close()


@pytest.fixture
async def producer(servers) -> AsyncIterator[AIOKafkaProducer]:
    await make_topics(servers[1])
    kafka = AIOKafkaProducer(bootstrap_servers=servers[1], acks="all")
    await kafka.start()
    yield kafka
    await kafka.stop()


async def received(bootstrap: str, topic: str, ids: set[str]) -> dict[str, tuple[bytes, Any]]:
    """The messages on `topic` whose event id is in `ids`: id -> (key, event)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: dict[str, tuple[bytes, Any]] = {}
    try:
        async with asyncio.timeout(30):
            while not ids <= set(found):
                batches = await consumer.getmany(timeout_ms=500)
                for messages in batches.values():
                    for message in messages:
                        body = json.loads(message.value)
                        if body["id"] in ids:
                            found[body["id"]] = (message.key, body)
    finally:
        await consumer.stop()
    return found


async def until_marked(collection: AsyncCollection, ids: list[str]) -> None:
    async with asyncio.timeout(20):
        while True:
            waiting = {"_id": {"$in": ids}, "outbox_pending": True}
            if not await collection.count_documents(waiting):
                return
            await asyncio.sleep(0.1)


async def test_reports_stored_in_the_old_shape_are_still_published_and_marked(
    servers, collection, producer
):
    old_event = event("report-old")
    new_event = event("report-new")
    long_ago = utcnow() - timedelta(minutes=5)
    await collection.insert_many(
        [
            {
                "_id": "report-old",
                "received_at": long_ago,
                "outbox": [
                    {
                        "id": old_event.id,
                        "topic": topics.REPORT_SUBMITTED,
                        "event": old_event.model_dump(mode="json"),
                    }
                ],
                "outbox_pending": True,
            },
            {
                "_id": "report-new",
                "received_at": long_ago,
                **outbox.new_document_fields([outbox.entry(new_event, topics.REPORT_SUBMITTED)]),
            },
        ]
    )
    relay = OutboxRelay(collection, poll_seconds=0.2, age_field="received_at")
    running = asyncio.create_task(relay.run(producer))
    try:
        found = await received(servers[1], topics.REPORT_SUBMITTED, {old_event.id, new_event.id})
        await until_marked(collection, ["report-old", "report-new"])
    finally:
        running.cancel()
    assert found[old_event.id] == (b"report-old", old_event.model_dump(mode="json"))
    assert Envelope.model_validate(found[new_event.id][1]) == new_event
    assert found[new_event.id][0] == b"report-new"
    broker = await cluster_id(producer)
    async for document in collection.find({}):
        # Published, marked with the broker that has them, and kept for one that loses them.
        assert len(document["outbox"]) == document["outbox_published"] == 1
        assert document["outbox_broker"] == broker and "outbox_pending" not in document


async def test_a_case_written_before_the_pending_flag_is_found_and_published(
    servers, collection, producer
):
    stage = event("case-1", "assigned")
    await collection.insert_one(
        {
            "_id": "case-1",
            "updated_at": utcnow() - timedelta(minutes=5),
            "outbox": [{"id": stage.id, "body": stage.to_bytes()}],
        }
    )
    relay = OutboxRelay(
        collection, poll_seconds=0.2, age_field="updated_at", default_topic=topics.REPORT_STAGE
    )
    assert await relay.flag_unflagged() == 1
    assert await relay.flag_unflagged() == 0
    running = asyncio.create_task(relay.run(producer))
    try:
        found = await received(servers[1], topics.REPORT_STAGE, {stage.id})
        await until_marked(collection, ["case-1"])
    finally:
        running.cancel()
    assert found[stage.id] == (b"case-1", stage.model_dump(mode="json"))
    case = await collection.find_one({"_id": "case-1"})
    assert case is not None and case["outbox_published"] == len(case["outbox"]) == 1


async def test_a_document_handed_over_is_published_at_once_not_at_the_next_sweep(
    servers, collection, producer
):
    fresh = event("report-fresh")
    document = {
        "_id": "report-fresh",
        "received_at": utcnow(),
        **outbox.new_document_fields([outbox.entry(fresh, topics.REPORT_SUBMITTED)]),
    }
    await collection.insert_one(document)
    relay = OutboxRelay(collection, poll_seconds=3600, age_field="received_at")
    running = asyncio.create_task(relay.run(producer))
    try:
        relay.hand_over(document)
        found = await received(servers[1], topics.REPORT_SUBMITTED, {fresh.id})
        await until_marked(collection, ["report-fresh"])
    finally:
        running.cancel()
    assert found[fresh.id][0] == b"report-fresh"


async def updates_of(collection: AsyncCollection) -> int:
    """The update commands the database has run on `collection` (its `top` count)."""
    totals = (await collection.database.client.admin.command("top"))["totals"]
    namespace = totals.get(f"{collection.database.name}.{collection.name}")
    return 0 if namespace is None else int(namespace["update"]["count"])


async def test_documents_handed_over_one_by_one_are_marked_in_one_update(
    servers, collection, producer
):
    events = [event(f"report-{n}") for n in range(5)]
    documents = [
        {
            "_id": f"report-{n}",
            "received_at": utcnow(),
            **outbox.new_document_fields([outbox.entry(e, topics.REPORT_SUBMITTED)]),
        }
        for n, e in enumerate(events)
    ]
    await collection.insert_many(documents)
    relay = OutboxRelay(collection, poll_seconds=3600, age_field="received_at")
    running = asyncio.create_task(relay.run(producer))
    try:
        await asyncio.sleep(0.5)  # the relay's first look at the broker
        before = await updates_of(collection)
        for document in documents:  # as intake does, one report at a time
            relay.hand_over(document)
            await asyncio.sleep(0.01)
        found = await received(servers[1], topics.REPORT_SUBMITTED, {e.id for e in events})
        await until_marked(collection, [d["_id"] for d in documents])
        updates = await updates_of(collection) - before
    finally:
        running.cancel()
    assert set(found) == {e.id for e in events}
    assert updates == 1
    marked = await collection.find({}, {"outbox_published": 1}).to_list(None)
    assert [d.get("outbox_published") for d in marked] == [1] * 5


async def test_a_batchs_recorded_events_go_together_in_one_read_and_one_mark(
    servers, collection, producer
):
    events = [event(f"case-{n}", "assigned") for n in range(4)]
    await collection.insert_many(
        [
            {
                "_id": f"case-{n}",
                "updated_at": utcnow(),
                **outbox.new_document_fields([outbox.entry(e, topics.REPORT_STAGE)]),
            }
            for n, e in enumerate(events)
        ]
    )
    publisher = ConsumerPublisher(producer, relay_for(collection))
    top = collection.database.client.admin
    namespace = f"{collection.database.name}.{collection.name}"

    async def counts() -> tuple[int, int]:
        found = (await top.command("top"))["totals"][namespace]
        return int(found["queries"]["count"]), int(found["update"]["count"])

    before = await counts()
    async with publisher.held():
        for n, e in enumerate(events):
            await publisher.publish_recorded(f"case-{n}", e)
        assert await collection.count_documents({"outbox_pending": True}) == 4  # not yet
    after = await counts()
    found = await received(servers[1], topics.REPORT_STAGE, {e.id for e in events})
    assert set(found) == {e.id for e in events}
    assert await collection.count_documents({"outbox_pending": True}) == 0
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


async def test_what_a_restarted_broker_lost_is_published_to_it_again(
    servers, collection, tmp_path: Path
):
    """The embedded broker keeps nothing across a restart: the relay sees its new cluster id
    and publishes again what the old one had, and goes on publishing new events."""
    port = free_port()
    bootstrap = f"127.0.0.1:{port}"
    before, after = event("report-before"), event("report-after")
    await collection.insert_one(
        {
            "_id": "report-before",
            "received_at": utcnow() - timedelta(minutes=5),
            **outbox.new_document_fields([outbox.entry(before, topics.REPORT_SUBMITTED)]),
        }
    )
    kafka = start_kafka(port, tmp_path)
    kafka_producer: AIOKafkaProducer | None = None
    try:
        await make_topics(bootstrap)
        kafka_producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await kafka_producer.start()
        relay = OutboxRelay(
            collection,
            poll_seconds=0.2,
            age_field="received_at",
            on_new_broker=lambda: make_topics(bootstrap),
        )
        running = asyncio.create_task(relay.run(kafka_producer))
        try:
            await received(bootstrap, topics.REPORT_SUBMITTED, {before.id})
            await until_marked(collection, ["report-before"])
            first = await cluster_id(kafka_producer)
            kafka.stop()
            kafka = start_kafka(port, tmp_path)
            found = await received(bootstrap, topics.REPORT_SUBMITTED, {before.id})
            second = await cluster_id(kafka_producer)
            document = {
                "_id": "report-after",
                "received_at": utcnow(),
                **outbox.new_document_fields([outbox.entry(after, topics.REPORT_SUBMITTED)]),
            }
            await collection.insert_one(document)
            relay.hand_over(document)
            found |= await received(bootstrap, topics.REPORT_SUBMITTED, {after.id})
            await until_marked(collection, ["report-after"])
        finally:
            running.cancel()
    finally:
        if kafka_producer is not None:
            await kafka_producer.stop()
        kafka.stop()
    assert first != second
    assert Envelope.model_validate(found[before.id][1]) == before
    assert Envelope.model_validate(found[after.id][1]) == after
    async for stored in collection.find({}):
        assert stored["outbox_broker"] == second


async def make_topics(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [topics.REPORT_SUBMITTED, topics.REPORT_STAGE]
        missing = [NewTopic(t, num_partitions=2, replication_factor=1) for t in wanted]
        missing = [t for t in missing if t.name not in existing]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()
