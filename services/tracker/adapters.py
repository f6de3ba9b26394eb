"""Tracker's adapters: the case store."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.events import utcnow


class CaseStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.cases = db["cases"]

    async def create_indexes(self) -> None:
        await self.cases.create_index([("tracking_code_hash", ASCENDING)], unique=True, sparse=True)

    async def add_entry(
        self, report_id: str, entry: dict[str, Any], tracking_code_hash: str | None = None
    ) -> None:
        """Adds one timeline entry unless the case already has it (events can come twice, and a
        report's events on different topics can come in any order)."""
        update: dict[str, Any] = {
            "$push": {"timeline": entry},
            "$set": {"updated_at": utcnow()},
            "$setOnInsert": {"opened_at": utcnow()},
        }
        if tracking_code_hash is not None:
            update["$set"]["tracking_code_hash"] = tracking_code_hash
        query = {"_id": report_id, "timeline.event_id": {"$ne": entry["event_id"]}}
        for _ in range(2):
            try:
                await self.cases.update_one(query, update, upsert=True)
                return
            except DuplicateKeyError:
                # Either the entry is already there (the filter missed, the upsert collided with
                # the existing case) or a concurrent first write won; one retry tells them apart.
                continue

    async def by_tracking_code_hash(self, code_hash: str) -> dict[str, Any] | None:
        return await self.cases.find_one({"tracking_code_hash": code_hash}, {"timeline": 1})
