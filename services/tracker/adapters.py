"""Tracker's adapters: the case store."""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common import outbox as common_outbox
from services.common import topics
from services.common.crypto import DataKey, Keyring
from services.common.events import Envelope, Stage, utcnow
from services.common.mongo import data_key_of
from services.tracker.domain import (
    idle_clusters_pipeline,
    load_pipeline,
    load_row,
    overdue_filter,
)

# What the reporter's view needs; never the staff notes.
REPORTER_VIEW = {
    "tracking_code_hash": 1,
    "timeline.event_id": 1,
    "timeline.stage": 1,
    "timeline.at": 1,
    "timeline.conclusion": 1,
    "state": 1,
    "messages": 1,
    "data_key": 1,
    "due": 1,
    "duplicate_of": 1,
}
STAFF_SUMMARY = {
    "state": 1,
    "province": 1,
    "scope": 1,
    "opened_at": 1,
    "due": 1,
    "acknowledged_at": 1,
    "last_feedback_at": 1,
    "crime_types": 1,
    "industry": 1,
    "priority": 1,
    "official_involvement": 1,
    "cluster_id": 1,
}


class CaseStore:
    """One document per case, holding its timeline. Each timeline entry carries the id of the
    event that made it: every write adds an entry only if its event id is absent, which is how a
    repeated event is recognised, and a unique index keeps one event out of two cases."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.cases = db["cases"]

    async def create_indexes(self) -> None:
        await self.cases.create_index([("tracking_code_hash", ASCENDING)], unique=True, sparse=True)
        await self.cases.create_index([("timeline.event_id", ASCENDING)], unique=True)
        await self.cases.create_index([(common_outbox.PENDING, ASCENDING)], sparse=True)

    async def add_entries(
        self,
        report_id: str,
        entries: list[dict[str, Any]],
        tracking_code_hash: str | None = None,
        opening: bool = False,
        also_set: dict[str, Any] | None = None,
    ) -> bool:
        """Adds timeline entries in one atomic write, unless the case already has the first.

        Returns False for a repeat. A report's events on different topics can arrive in any
        order, so whichever comes first opens the case; `opening` says this one usually does,
        so the case is created first and updated only if it already exists.
        """
        now = utcnow()
        fields: dict[str, Any] = {"updated_at": now, **(also_set or {})}
        if tracking_code_hash is not None:
            fields["tracking_code_hash"] = tracking_code_hash
        not_yet_recorded = {"_id": report_id, "timeline.event_id": {"$ne": entries[0]["event_id"]}}
        update = {"$push": {"timeline": {"$each": entries}}, "$set": fields}
        if not opening and (await self.cases.update_one(not_yet_recorded, update)).matched_count:
            return True
        try:
            await self.cases.insert_one(
                {
                    "_id": report_id,
                    "opened_at": now,
                    "state": _furthest(entries),
                    "revision": 0,
                    "timeline": entries,
                    **nested(fields),
                }
            )
            return True
        except DuplicateKeyError:
            # The case exists: it already holds this entry, or another write opened it just now.
            return bool((await self.cases.update_one(not_yet_recorded, update)).matched_count)

    async def open_many(
        self, openings: list[tuple[str, list[dict[str, Any]], str, dict[str, Any]]]
    ) -> set[int]:
        """Opens many cases (report id, entries, code hash, other fields) in one write. Returns
        the positions of those whose case existed already (a repeat, or a stage that came
        first): the caller applies those one by one."""
        now = utcnow()
        documents = [
            {
                "_id": report_id,
                "opened_at": now,
                "updated_at": now,
                "state": _furthest(entries),
                "revision": 0,
                "timeline": entries,
                "tracking_code_hash": code_hash,
                **nested(fields),
            }
            for report_id, entries, code_hash, fields in openings
        ]
        try:
            await self.cases.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            return _failed_positions(exc)
        return set()

    async def add_to_many(self, additions: list[tuple[str, dict[str, Any]]]) -> set[int]:
        """Adds one entry to each of many cases in one write, opening a case not seen yet.
        Returns the positions of entries a case already held (or that lost a race to open
        it): the caller applies those one by one."""
        now = utcnow()
        try:
            await self.cases.bulk_write(
                [
                    UpdateOne(
                        {"_id": report_id, "timeline.event_id": {"$ne": entry["event_id"]}},
                        {
                            "$push": {"timeline": entry},
                            "$set": {"updated_at": now},
                            "$setOnInsert": {
                                "opened_at": now,
                                "state": Stage.SUBMITTED.value,
                                "revision": 0,
                            },
                        },
                        upsert=True,
                    )
                    for report_id, entry in additions
                ],
                ordered=False,
            )
        except BulkWriteError as exc:
            return _failed_positions(exc)
        return set()

    async def add_with_events_to_many(
        self,
        writes: list[tuple[str, list[dict[str, Any]], dict[str, Any], list[Envelope]]],
        ordered: bool,
    ) -> list[bool | None]:
        """For each of many cases (report id, entries, fields, outbox events) in one bulk
        write: adds the entries, sets the fields and puts the events in the case's outbox, in
        one update, unless the case holds the first entry already; a case not seen yet is
        opened by it. `ordered` writes them in the order given and stops at the first that
        fails. For each write: True if made; False if the case held its first entry already
        (or the write lost a race to open it), for the caller to apply on its own; None if an
        ordered write stopped before it, for the caller to send again."""
        now = utcnow()
        operations = [
            UpdateOne(
                _unless_held(report_id, entries),
                {
                    **_adding(entries, fields, outbox, now),
                    "$setOnInsert": {"opened_at": now},
                },
                upsert=True,
            )
            for report_id, entries, fields, outbox in writes
        ]
        try:
            await self.cases.bulk_write(operations, ordered=ordered)
        except BulkWriteError as exc:
            failed = _failed_positions(exc)
            if not failed:
                raise  # no write failed, yet it is not known to have been kept: retry it all
            if not ordered:
                return [position not in failed for position in range(len(writes))]
            first = min(failed)  # an ordered write stops at its first failure
            return [True] * first + [False] + [None] * (len(writes) - first - 1)
        return [True] * len(writes)

    async def add_unless_held(
        self,
        report_id: str,
        entries: list[dict[str, Any]],
        fields: dict[str, Any],
        outbox: list[Envelope],
    ) -> bool:
        """One of `add_with_events_to_many`'s writes on its own, to a case that exists: False
        if the case holds the first entry already (or does not exist)."""
        result = await self.cases.update_one(
            _unless_held(report_id, entries), _adding(entries, fields, outbox, utcnow())
        )
        return bool(result.matched_count)

    async def by_tracking_code_hash(self, code_hash: str) -> dict[str, Any] | None:
        case = await self.cases.find_one({"tracking_code_hash": code_hash}, REPORTER_VIEW)
        # The index found it; a constant-time comparison confirms it without timing hints.
        if case is None or not hmac.compare_digest(case["tracking_code_hash"], code_hash):
            return None
        return case

    async def get(self, report_id: str) -> dict[str, Any] | None:
        return await self.cases.find_one({"_id": report_id})

    # -- the workflow ------------------------------------------------------------------------

    async def add_if_in_state(
        self,
        report_id: str,
        states: list[Stage],
        entries: list[dict[str, Any]],
        fields: dict[str, Any],
        outbox: list[Envelope] | None = None,
    ) -> bool:
        """Adds entries and sets fields only while the case is in one of `states` and holds
        none of the entries yet; the events to publish go into the same write (an outbox)."""
        update: dict[str, Any] = {
            "$push": {"timeline": {"$each": entries}},
            "$set": {"updated_at": utcnow(), **fields},
            "$inc": {"revision": 1},
        }
        update = common_outbox.with_entries(update, [outbox_entry(e) for e in outbox or []])
        result = await self.cases.update_one(
            {
                "_id": report_id,
                "state": {"$in": [s.value for s in states]},
                "timeline.event_id": {"$nin": [e["event_id"] for e in entries]},
            },
            update,
        )
        return bool(result.matched_count)

    async def transition(
        self,
        case: dict[str, Any],
        entry: dict[str, Any],
        fields: dict[str, Any],
        event: Envelope,
        push: dict[str, Any] | None = None,
    ) -> bool:
        """Moves a case on, if nobody moved it since it was read (same state and revision):
        the entry, the new fields and the event to publish in one write. False on a race."""
        update = common_outbox.with_entries(
            {
                "$push": {"timeline": entry, **(push or {})},
                "$set": {"updated_at": utcnow(), "state": entry["stage"], **fields},
                "$inc": {"revision": 1},
            },
            [outbox_entry(event)],
        )
        result = await self.cases.update_one(
            {"_id": case["_id"], "state": case["state"], "revision": case.get("revision", 0)},
            update,
        )
        return bool(result.matched_count)

    async def add_message(self, report_id: str, message: dict[str, Any]) -> None:
        await self.cases.update_one(
            {"_id": report_id},
            {"$push": {"messages": message}, "$set": {"updated_at": utcnow()}},
        )

    async def data_key(self, report_id: str, keyring: Keyring) -> DataKey:
        return await data_key_of(self.cases, report_id, keyring)

    # -- supervisors' and analysts' views ----------------------------------------------------

    async def overdue(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        return await (
            self.cases.find(overdue_filter(now), STAFF_SUMMARY)
            .sort("due.feedback", ASCENDING)
            .to_list(limit)
        )

    async def listing(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await (
            self.cases.find(query, STAFF_SUMMARY).sort("opened_at", ASCENDING).to_list(limit)
        )

    async def queue(
        self, query: dict[str, Any], sort: list[tuple[str, int]], skip: int, limit: int
    ) -> list[dict[str, Any]]:
        cursor = self.cases.find(query, STAFF_SUMMARY).sort(sort).skip(skip).limit(limit)
        return await cursor.to_list(limit)

    async def count_by_stage(self, query: dict[str, Any]) -> dict[str, int]:
        cursor = await self.cases.aggregate(
            [{"$match": query}, {"$group": {"_id": "$state", "n": {"$sum": 1}}}]
        )
        return {str(row["_id"]): int(row["n"]) async for row in cursor}

    async def count(self, query: dict[str, Any]) -> int:
        return await self.cases.count_documents(query)

    async def labels(self) -> dict[str, list[str]]:
        """The crime types and industries cases carry, for the queue's filter choices."""
        return {
            "crime_types": sorted(str(v) for v in await self.cases.distinct("crime_types") if v),
            "industries": sorted(str(v) for v in await self.cases.distinct("industry") if v),
        }

    async def load(self, now: datetime) -> list[dict[str, Any]]:
        cursor = await self.cases.aggregate(load_pipeline(now, now - timedelta(days=7)))
        return [load_row(row) async for row in cursor]

    async def idle_clusters(self, min_reports: int) -> list[dict[str, Any]]:
        cursor = await self.cases.aggregate(idle_clusters_pipeline(min_reports))
        return [row async for row in cursor]

    async def cluster_sizes(self, min_reports: int) -> dict[str, int]:
        """Each cluster of at least `min_reports` cases, and how many it has."""
        cursor = await self.cases.aggregate(
            [
                {"$match": {"cluster_id": {"$ne": None}}},
                {"$group": {"_id": "$cluster_id", "n": {"$sum": 1}}},
                {"$match": {"n": {"$gte": min_reports}}},
            ]
        )
        return {str(row["_id"]): int(row["n"]) async for row in cursor}


def _furthest(entries: list[dict[str, Any]]) -> str:
    return max((Stage(e["stage"]) for e in entries), key=lambda s: s.rank).value


def nested(fields: dict[str, Any]) -> dict[str, Any]:
    """{"due.feedback": x} → {"due": {"feedback": x}}, for documents written whole."""
    result: dict[str, Any] = {}
    for key, value in fields.items():
        target = result
        *parents, last = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return result


def outbox_entry(event: Envelope) -> dict[str, Any]:
    """A stage event as it waits in its case's outbox (the common shape)."""
    return common_outbox.entry(event, topics.REPORT_STAGE)


def _unless_held(report_id: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The case, unless it holds the first of the entries already (a repeat)."""
    return {"_id": report_id, "timeline.event_id": {"$ne": entries[0]["event_id"]}}


def _adding(
    entries: list[dict[str, Any]], fields: dict[str, Any], outbox: list[Envelope], now: datetime
) -> dict[str, Any]:
    """The update that adds entries, sets fields and puts events in the outbox: a change of
    the case (its revision moves on)."""
    return common_outbox.with_entries(
        {
            "$push": {"timeline": {"$each": entries}},
            "$set": {"updated_at": now, **fields},
            "$inc": {"revision": 1},
        },
        [outbox_entry(e) for e in outbox],
    )


def _failed_positions(error: BulkWriteError) -> set[int]:
    duplicates = [e for e in error.details.get("writeErrors", []) if e.get("code") == 11000]
    if len(duplicates) != len(error.details.get("writeErrors", [])):
        raise error  # something other than an existing case: let the consumer retry or report
    return {int(e["index"]) for e in duplicates}


class RecentStatuses:
    """Case timelines recently read, by tracking-code hash, in front of the case store.

    A reporter refreshing the status page should not cost a database read each time. This
    process's consumer forgets a case the moment it changes it, so what this instance shows is
    never behind its own writes; a case written by another tracker instance shows at most
    `ttl_seconds` late (a code not found yet: `miss_ttl_seconds`). The consumer runs in its
    own thread, so every change to the tables happens under one lock.
    """

    def __init__(
        self,
        cases: CaseStore,
        *,
        max_entries: int = 50_000,
        ttl_seconds: float = 2.0,
        miss_ttl_seconds: float = 0.5,
    ) -> None:
        self.cases = cases
        self.max_entries = max_entries
        self.ttl = ttl_seconds
        self.miss_ttl = miss_ttl_seconds
        # code hash -> (expires at, case or None); oldest first, for eviction
        self._entries: OrderedDict[str, tuple[float, dict[str, Any] | None]] = OrderedDict()
        self._hash_of: dict[str, str] = {}  # report id -> code hash, for cached cases
        # Change numbers by report id and code hash: a read that overlapped a change to its
        # case is answered but not kept, so a stale answer is never cached.
        self._changes = 0
        self._changed: dict[str, int] = {}
        self._lock = threading.Lock()

    async def by_tracking_code_hash(self, code_hash: str) -> dict[str, Any] | None:
        cached = self._entries.get(code_hash)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        started = self._changes
        case = await self.cases.by_tracking_code_hash(code_hash)
        with self._lock:
            last_change = max(
                self._changed.get(code_hash, 0), self._changed.get(case["_id"], 0) if case else 0
            )
            if last_change <= started:
                self._remember(code_hash, case)
        return case

    def forget(self, report_id: str, code_hash: str | None = None) -> None:
        """Called by this process's consumer whenever it changes a case."""
        with self._lock:
            self._forget(report_id, code_hash)

    def _forget(self, report_id: str, code_hash: str | None) -> None:
        self._changes += 1
        known = self._hash_of.pop(report_id, None)
        self._changed[report_id] = self._changes
        for code in (known, code_hash):  # cached entries are keyed by code hash
            if code is not None:
                self._entries.pop(code, None)
                self._changed[code] = self._changes
        if len(self._changed) > 2 * self.max_entries:
            # Reads take milliseconds: change numbers far behind the current one matter no more.
            horizon = self._changes - self.max_entries
            self._changed = {k: n for k, n in self._changed.items() if n > horizon}

    def _remember(self, code_hash: str, case: dict[str, Any] | None) -> None:
        ttl = self.ttl if case is not None else self.miss_ttl
        self._entries[code_hash] = (time.monotonic() + ttl, case)
        self._entries.move_to_end(code_hash)
        if case is not None:
            self._hash_of[case["_id"]] = code_hash
        while len(self._entries) > self.max_entries:
            _, (_, evicted) = self._entries.popitem(last=False)
            if evicted is not None:
                self._hash_of.pop(evicted["_id"], None)
