"""Tracker's adapters: the case store."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.events import utcnow


class CaseStore:
    """One document per case, holding its timeline. Each timeline entry carries the id of the
    event that made it, under a unique index: that is how a repeated event is recognised."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.cases = db["cases"]

    async def create_indexes(self) -> None:
        await self.cases.create_index([("tracking_code_hash", ASCENDING)], unique=True, sparse=True)
        await self.cases.create_index([("timeline.event_id", ASCENDING)], unique=True)

    async def add_entries(
        self,
        report_id: str,
        entries: list[dict[str, Any]],
        tracking_code_hash: str | None = None,
        opening: bool = False,
    ) -> bool:
        """Adds timeline entries in one atomic write, unless the case already has the first.

        Returns False for a repeat. A report's events on different topics can arrive in any
        order, so whichever comes first opens the case; `opening` says this one usually does,
        so the case is created first and updated only if it already exists.
        """
        now = utcnow()
        fields: dict[str, Any] = {"updated_at": now}
        if tracking_code_hash is not None:
            fields["tracking_code_hash"] = tracking_code_hash
        not_yet_recorded = {"_id": report_id, "timeline.event_id": {"$ne": entries[0]["event_id"]}}
        update = {"$push": {"timeline": {"$each": entries}}, "$set": fields}
        if not opening and (await self.cases.update_one(not_yet_recorded, update)).matched_count:
            return True
        try:
            await self.cases.insert_one(
                {"_id": report_id, "opened_at": now, "timeline": entries, **fields}
            )
            return True
        except DuplicateKeyError:
            # The case exists: it already holds this entry, or another write opened it just now.
            return bool((await self.cases.update_one(not_yet_recorded, update)).matched_count)

    async def by_tracking_code_hash(self, code_hash: str) -> dict[str, Any] | None:
        return await self.cases.find_one({"tracking_code_hash": code_hash}, {"timeline": 1})
