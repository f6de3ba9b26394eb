"""The storage adapters on a real MongoDB-protocol server: repeats, races and ordering."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from deploy.local.stack import Process, free_port, start_mongodb
from services.audit.adapters import AuditLog
from services.common.events import Stage
from services.common.mongo import BatchInserter
from services.tracker.adapters import CaseStore
from services.tracker.domain import public_status, timeline_entry

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def mongodb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server: Process = start_mongodb(port, Path(tmp_path_factory.mktemp("logs-stores")))
    try:
        yield f"mongodb://127.0.0.1:{port}/"
    finally:
        server.stop()


@pytest.fixture
async def db(mongodb: str, request: pytest.FixtureRequest) -> AsyncIterator:
    client: AsyncMongoClient = AsyncMongoClient(mongodb, tz_aware=True)
    name = f"t_{request.node.name[:40].replace('[', '_').replace(']', '')}"
    await client.drop_database(name)
    yield client[name]
    await client.drop_database(name)
    await client.close()


async def test_a_stage_that_arrives_before_the_submission_still_lands_in_order(db):
    cases = CaseStore(db)
    await cases.create_indexes()
    classified = timeline_entry("e3", Stage.CLASSIFIED, T0 + timedelta(seconds=2))
    assert await cases.add_entries("r1", [classified])
    opened = [
        timeline_entry("e1", Stage.SUBMITTED, T0),
        timeline_entry("e2", Stage.RECEIVED, T0 + timedelta(seconds=1)),
    ]
    assert await cases.add_entries("r1", opened, tracking_code_hash="h1", opening=True)
    case = await cases.by_tracking_code_hash("h1")
    assert case is not None
    assert [s.stage for s in public_status(case["timeline"]).history] == [
        Stage.SUBMITTED,
        Stage.RECEIVED,
        Stage.CLASSIFIED,
    ]


async def test_a_repeated_event_is_recognised_and_changes_nothing(db):
    cases = CaseStore(db)
    await cases.create_indexes()
    entry = timeline_entry("e1", Stage.SUBMITTED, T0)
    assert await cases.add_entries("r1", [entry], tracking_code_hash="h1", opening=True) is True
    assert await cases.add_entries("r1", [entry], tracking_code_hash="h1", opening=True) is False
    assert await cases.add_entries("r1", [entry]) is False
    case = await cases.by_tracking_code_hash("h1")
    assert case is not None and len(case["timeline"]) == 1


async def test_two_events_opening_the_same_case_at_once_both_land(db):
    cases = CaseStore(db)
    await cases.create_indexes()
    results = await asyncio.gather(
        *(
            cases.add_entries("r1", [timeline_entry(f"e{i}", Stage.CLASSIFIED, T0)])
            for i in range(8)
        )
    )
    assert all(results)
    case = await db["cases"].find_one({"_id": "r1"})
    assert sorted(e["event_id"] for e in case["timeline"]) == [f"e{i}" for i in range(8)]


async def test_cases_open_and_advance_in_bulk_and_name_what_must_go_one_by_one(db):
    cases = CaseStore(db)
    await cases.create_indexes()
    openings = [
        (f"r{i}", [timeline_entry(f"s{i}", Stage.SUBMITTED, T0)], f"h{i}", {}) for i in range(5)
    ]
    assert await cases.open_many(openings) == set()
    additions = [(f"r{i}", timeline_entry(f"c{i}", Stage.CLASSIFIED, T0)) for i in range(5)]
    # A stage for a case not opened yet opens it.
    additions.append(("r9", timeline_entry("c9", Stage.CLASSIFIED, T0)))
    assert await cases.add_to_many(additions) == set()
    # The same again: every case exists and holds its entry; each is named, nothing changes.
    assert await cases.open_many(openings) == {0, 1, 2, 3, 4}
    assert await cases.add_to_many(additions[:2]) == {0, 1}
    case = await cases.by_tracking_code_hash("h3")
    assert case is not None
    assert [e["event_id"] for e in case["timeline"]] == ["s3", "c3"]
    assert await db["cases"].count_documents({}) == 6


async def test_two_audit_writers_never_fork_the_chain(db):
    first, second = AuditLog(db), AuditLog(db)
    await first.create_indexes()

    async def write(log: AuditLog, prefix: str) -> list[bool]:
        return [
            await log.append({"topic": "t", "event": {"id": f"{prefix}{i}", "n": i}})
            for i in range(40)
        ]

    results = await asyncio.gather(write(first, "a"), write(second, "b"))
    assert all(results[0]) and all(results[1])
    report = await AuditLog(db).verify()
    assert report.intact and report.entries == 80
    assert await first.append({"topic": "t", "event": {"id": "a3", "n": 3}}) is False
    assert (await first.verify()).entries == 80


async def test_a_batch_is_appended_in_order_without_its_repeats(db):
    log = AuditLog(db)
    await log.create_indexes()
    await log.append({"topic": "t", "event": {"id": "e0"}})
    batch = [{"topic": "t", "event": {"id": i}} for i in ("e1", "e0", "e2", "e1", "e3")]
    assert await log.append_many(batch) == [True, False, True, False, True]
    report = await log.verify()
    assert report.intact and report.entries == 4
    ids = [doc["event_id"] async for doc in db["audit_log"].find().sort("_id", 1)]
    assert ids == ["e0", "e1", "e2", "e3"]


async def test_a_redelivered_batch_changes_nothing_and_the_next_one_continues_the_chain(db):
    log = AuditLog(db)
    await log.create_indexes()
    batch = [{"topic": "t", "event": {"id": f"e{i}"}} for i in range(4)]
    assert await log.append_many(batch) == [True] * 4
    assert await log.append_many(batch[2:] + batch[:2]) == [False] * 4
    restarted = AuditLog(db)  # a consumer restarted, its head unknown, its batch half new
    more = [{"topic": "t", "event": {"id": f"e{i}"}} for i in (3, 4, 5)]
    assert await restarted.append_many(more) == [False, True, True]
    report = await restarted.verify()
    assert report.intact and report.entries == 6
    ids = [doc["event_id"] async for doc in db["audit_log"].find().sort("_id", 1)]
    assert ids == ["e0", "e1", "e2", "e3", "e4", "e5"]


async def test_a_batch_racing_another_writer_falls_back_and_keeps_the_chain(db):
    first, second = AuditLog(db), AuditLog(db)
    await first.create_indexes()
    await first.append({"topic": "t", "event": {"id": "a0"}})
    await second.append({"topic": "t", "event": {"id": "b0"}})  # first's head is now stale
    outcomes = await first.append_many([{"topic": "t", "event": {"id": f"a{i}"}} for i in (1, 2)])
    assert outcomes == [True, True]
    report = await first.verify()
    assert report.intact and report.entries == 4


async def test_a_restarted_audit_writer_continues_the_chain(db):
    log = AuditLog(db)
    await log.create_indexes()
    for i in range(5):
        await log.append({"topic": "t", "event": {"id": f"e{i}"}})
    restarted = AuditLog(db)
    assert await restarted.append({"topic": "t", "event": {"id": "e5"}})
    report = await restarted.verify()
    assert report.intact and report.entries == 6


async def test_batched_inserts_report_each_callers_own_outcome(db):
    inserter = BatchInserter(db["docs"])
    writer = asyncio.create_task(inserter.run())
    try:
        await inserter.insert({"_id": "taken"})
        outcomes = await asyncio.gather(
            *(inserter.insert({"_id": f"d{i}"}) for i in range(20)),
            inserter.insert({"_id": "taken"}),
            return_exceptions=True,
        )
    finally:
        writer.cancel()
    assert outcomes[:20] == [None] * 20
    assert isinstance(outcomes[20], DuplicateKeyError)
    assert await db["docs"].count_documents({}) == 21
