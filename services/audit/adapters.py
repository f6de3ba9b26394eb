"""Audit's adapters: the append-only log in MongoDB."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.audit.domain import GENESIS_HASH, ChainReport, ChainVerifier, chain_entry
from services.common.events import utcnow


class AuditLog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.entries = db["audit_log"]

    async def create_indexes(self) -> None:
        await self.entries.create_index([("event_id", ASCENDING)], unique=True)

    async def append(self, record: dict[str, Any]) -> int:
        """Appends at the head. Positions are unique, so two writers never share one: the
        loser of a race reads the new head and tries again."""
        event_id = record["event"]["id"]
        while True:
            head = await self.entries.find_one({}, {"hash": 1}, sort=[("_id", DESCENDING)])
            position = head["_id"] + 1 if head else 1
            previous_hash = head["hash"] if head else GENESIS_HASH
            try:
                await self.entries.insert_one(
                    chain_entry(position, previous_hash, record, utcnow())
                )
                return position
            except DuplicateKeyError:
                existing = await self.entries.find_one({"event_id": event_id}, {"_id": 1})
                if existing is not None:
                    return int(existing["_id"])

    async def verify(self) -> ChainReport:
        verifier = ChainVerifier()
        async for entry in self.entries.find({}).sort("_id", ASCENDING).batch_size(1000):
            if not verifier.feed(entry):
                break
        return verifier.report()
