"""Audit's adapters: the append-only log in MongoDB."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.audit.domain import GENESIS_HASH, ChainReport, ChainVerifier, chain_entry
from services.common.events import ACCESS_RECORDED_V1, utcnow


class _PartlyWritten(Exception):
    """An ordered insert stopped at a conflict: the event ids of the entries before it."""

    def __init__(self, event_ids: set[str]) -> None:
        super().__init__(len(event_ids))
        self.event_ids = event_ids


class AuditLog:
    """The chain in MongoDB, addressed by position (`_id` 1, 2, 3, …).

    Every read goes through the `_id` index by position: SecantusDB answers a sorted "last
    entry" query by scanning the whole collection, which grows with every event.
    """

    VERIFY_BATCH = 1000

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.entries = db["audit_log"]
        self._head: tuple[int, str] | None = None  # (position, hash) last seen at the head

    async def create_indexes(self) -> None:
        await self.entries.create_index([("event_id", ASCENDING)], unique=True)
        await self.entries.create_index([("record.event.subject", ASCENDING)])
        await self.entries.create_index([("record.event.data.staff", ASCENDING)])

    async def access_to(self, report_id: str) -> list[dict[str, Any]]:
        """Every recorded read of one report's private data, oldest first, with its position
        in the chain so an auditor can verify it."""
        entries = await self.entries.find(
            {"record.event.subject": report_id, "record.event.type": ACCESS_RECORDED_V1}
        ).to_list(None)
        return [
            {"position": entry["_id"], "hash": entry["hash"], **entry["record"]["event"]["data"]}
            for entry in sorted(entries, key=lambda entry: entry["_id"])
        ]

    async def read_by(self, staff: str, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """Every recorded read by one person (their token's subject), newest first, one page
        of them, with how many there are in all."""
        query = {"record.event.data.staff": staff, "record.event.type": ACCESS_RECORDED_V1}
        total = await self.entries.count_documents(query)
        entries = await self.entries.find(query).sort("_id", DESCENDING).skip(skip).to_list(limit)
        return total, [
            {"position": entry["_id"], "hash": entry["hash"], **entry["record"]["event"]["data"]}
            for entry in entries
        ]

    async def append(self, record: dict[str, Any]) -> bool:
        """Appends at the head; False when the event is in the log already (unique event id).

        Positions are unique, so two writers never share one: the loser of a race moves to the
        new head and tries again."""
        event_id = record["event"]["id"]
        position, previous_hash = await self._known_head()
        while True:
            entry = chain_entry(position + 1, previous_hash, record, utcnow())
            try:
                await self.entries.insert_one(entry)
            except DuplicateKeyError:
                existing = await self.entries.find_one({"event_id": event_id}, {"_id": 1})
                if existing is not None:
                    return False
                position, previous_hash = await self._walk_forward(position, previous_hash)
                continue
            self._head = (entry["_id"], entry["hash"])
            return True

    async def append_many(self, records: list[dict[str, Any]]) -> list[bool]:
        """Appends a batch in one write; for each record, False when it was in the log already.

        The log's unique event id is what recognises a repeat, so the batch goes in without a
        read first. Only when that insert fails (a redelivery, or another writer moved the
        head) are the batch's event ids read, and the rest go in one more write; if that fails
        too, one by one."""
        event_ids = [record["event"]["id"] for record in records]
        try:
            return await self._insert_chained(records, set())
        except _PartlyWritten as exc:
            written = exc.event_ids
        self._head = None  # some of the batch may be in: find the head again
        recorded = {
            doc["event_id"]
            async for doc in self.entries.find({"event_id": {"$in": event_ids}}, {"event_id": 1})
        }
        try:
            outcomes = await self._insert_chained(records, recorded)
        except _PartlyWritten:
            self._head = None
            outcomes = [await self.append(record) for record in records]
        # The first write's entries were appended by this call: the first copy of each is new.
        first = {event_id: i for i, event_id in reversed(list(enumerate(event_ids)))}
        return [
            done or (event_id in written and first[event_id] == i)
            for i, (done, event_id) in enumerate(zip(outcomes, event_ids, strict=True))
        ]

    async def _insert_chained(
        self, records: list[dict[str, Any]], recorded: set[str]
    ) -> list[bool]:
        """The records not in `recorded` (nor earlier in the batch) chained at the head and
        inserted in one ordered write; raises _PartlyWritten with those that went in."""
        position, previous_hash = await self._known_head()
        entries, outcomes, seen = [], [], set(recorded)
        now = utcnow()
        for record in records:
            event_id = record["event"]["id"]
            if event_id in seen:
                outcomes.append(False)
                continue
            seen.add(event_id)
            entry = chain_entry(position + 1, previous_hash, record, now)
            entries.append(entry)
            outcomes.append(True)
            position, previous_hash = entry["_id"], entry["hash"]
        if not entries:
            return outcomes
        try:
            await self.entries.insert_many(entries, ordered=True)
        except BulkWriteError as exc:
            inserted = int(exc.details.get("nInserted", 0))
            raise _PartlyWritten({entry["event_id"] for entry in entries[:inserted]}) from exc
        self._head = (position, previous_hash)
        return outcomes

    async def _known_head(self) -> tuple[int, str]:
        if self._head is None:
            self._head = await self._find_head()
        return self._head

    async def _find_head(self) -> tuple[int, str]:
        # Positions run 1..n without gaps in an untouched log, so the count points at the head.
        guess = await self.entries.estimated_document_count()
        entry = await self.entries.find_one({"_id": guess}, {"hash": 1}) if guess else None
        if entry is None and guess:
            entry = await self.entries.find_one({}, {"hash": 1}, sort=[("_id", DESCENDING)])
        if entry is None:
            return 0, GENESIS_HASH
        return await self._walk_forward(int(entry["_id"]), str(entry["hash"]))

    async def _walk_forward(self, position: int, previous_hash: str) -> tuple[int, str]:
        while (
            entry := await self.entries.find_one({"_id": position + 1}, {"hash": 1})
        ) is not None:
            position, previous_hash = position + 1, str(entry["hash"])
        self._head = (position, previous_hash)
        return self._head

    async def verify(self) -> ChainReport:
        """Reads the log in position ranges, so memory stays flat however long it grows."""
        verifier = ChainVerifier()
        start = 1
        while True:
            batch = await self.entries.find(
                {"_id": {"$gte": start, "$lt": start + self.VERIFY_BATCH}}
            ).to_list(None)
            if not batch:
                # A hole as wide as a whole batch: show the verifier whatever lies beyond it.
                beyond = await self.entries.find_one({"_id": {"$gte": start}})
                if beyond is not None:
                    verifier.feed(beyond)
                break
            if not all(verifier.feed(entry) for entry in sorted(batch, key=lambda e: e["_id"])):
                break
            start += self.VERIFY_BATCH
        return verifier.report()
