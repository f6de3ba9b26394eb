"""The tracker's read cache, against a stand-in store (pure logic: no I/O of its own)."""

import asyncio
from typing import Any

from services.tracker.adapters import RecentStatuses


class Store:
    """In-memory stand-in for CaseStore.by_tracking_code_hash, counting reads."""

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.reads = 0
        self.gate: asyncio.Event | None = None

    async def by_tracking_code_hash(self, code_hash: str) -> dict[str, Any] | None:
        self.reads += 1
        found = self.cases.get(code_hash)
        if self.gate is not None:
            await self.gate.wait()
        return found


async def test_a_refreshing_reporter_costs_one_read():
    store = Store()
    store.cases["h"] = {"_id": "r", "timeline": [1]}
    statuses = RecentStatuses(store)  # type: ignore[arg-type]
    for _ in range(10):
        assert (await statuses.by_tracking_code_hash("h"))["timeline"] == [1]
    assert store.reads == 1


async def test_a_change_made_here_shows_at_once():
    store = Store()
    store.cases["h"] = {"_id": "r", "timeline": [1]}
    statuses = RecentStatuses(store)  # type: ignore[arg-type]
    await statuses.by_tracking_code_hash("h")
    store.cases["h"] = {"_id": "r", "timeline": [1, 2]}
    statuses.forget("r")
    assert (await statuses.by_tracking_code_hash("h"))["timeline"] == [1, 2]


async def test_a_case_opened_here_replaces_a_remembered_miss():
    store = Store()
    statuses = RecentStatuses(store, miss_ttl_seconds=60)  # type: ignore[arg-type]
    assert await statuses.by_tracking_code_hash("h") is None
    store.cases["h"] = {"_id": "r", "timeline": [1]}
    statuses.forget("r", "h")
    assert await statuses.by_tracking_code_hash("h") is not None


async def test_a_read_that_overlapped_a_change_is_not_kept():
    store = Store()
    store.cases["h"] = {"_id": "r", "timeline": [1]}
    statuses = RecentStatuses(store, ttl_seconds=60)  # type: ignore[arg-type]
    store.gate = asyncio.Event()
    slow_read = asyncio.create_task(statuses.by_tracking_code_hash("h"))
    await asyncio.sleep(0)
    store.cases["h"] = {"_id": "r", "timeline": [1, 2]}
    statuses.forget("r")
    store.gate.set()
    assert (await slow_read)["timeline"] == [1]  # answered with what it read…
    store.gate = None
    assert (await statuses.by_tracking_code_hash("h"))["timeline"] == [1, 2]  # …but not kept


async def test_memory_stays_bounded():
    store = Store()
    statuses = RecentStatuses(store, max_entries=100)  # type: ignore[arg-type]
    for i in range(1000):
        store.cases[f"h{i}"] = {"_id": f"r{i}", "timeline": []}
        await statuses.by_tracking_code_hash(f"h{i}")
        statuses.forget(f"r{i - 1}")
    assert len(statuses._entries) <= 100
    assert len(statuses._hash_of) <= 100
    assert len(statuses._changed) <= 200
