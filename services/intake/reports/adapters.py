"""The report store: reports sealed at rest, each with its outbox (services/common/outbox.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common import outbox
from services.common.events import utcnow
from services.common.mongo import BatchInserter
from services.intake.reports.domain import DuplicateReport, ReportUpdate
from services.intake.reports.reconcile import CLASSIFIED, OPENED

# The stored report's time of writing: the outbox sweep leaves younger reports to the at-once
# path for a few seconds.
WRITTEN_AT = "received_at"


class ReportStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.reports = db["reports"]
        self.inserter = BatchInserter(self.reports)

    async def create_indexes(self) -> None:
        await self.reports.create_index(
            [("idempotency.key_hash", ASCENDING)], unique=True, sparse=True
        )
        await self.reports.create_index([(outbox.PENDING, ASCENDING)], sparse=True)
        await self.reports.create_index([("idempotency.expires_at", ASCENDING)], sparse=True)

    async def insert(self, document: dict[str, Any]) -> None:
        try:
            await self.inserter.insert(document)
        except DuplicateKeyError as exc:
            raise DuplicateReport from exc

    async def find_by_idempotency_key(self, key_hash: str) -> dict[str, Any] | None:
        return await self.reports.find_one({"idempotency.key_hash": key_hash}, {"idempotency": 1})

    async def sealed(self, report_id: str) -> dict[str, Any] | None:
        """The stored report as it is at rest: clear fields, wrapped key, sealed parts."""
        return await self.reports.find_one(
            {"_id": report_id},
            {"channel": 1, "language": 1, "data_key": 1, "sealed": 1, "scope": 1},
        )

    async def sealed_many(self, report_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Many stored reports as they are at rest, in one query: those that exist, by id."""
        found = self.reports.find(
            {"_id": {"$in": report_ids}},
            {"channel": 1, "language": 1, "data_key": 1, "sealed": 1, "scope": 1},
        )
        return {str(document["_id"]): document async for document in found}

    # -- reconciliation (reconcile.py) -------------------------------------------------------

    async def apply(self, updates: Sequence[ReportUpdate]) -> None:
        """A batch of stage events' updates in one ordered write: one report's in the order
        its events came (a later classification or assignment wins), however many reports."""
        if not updates:
            return
        await self.reports.bulk_write(
            [
                UpdateOne(
                    {
                        "_id": update.report_id,
                        **({"scope.team": None} if update.only_unassigned else {}),
                    },
                    {"$set": dict(update.values)},
                )
                for update in updates
            ],
            ordered=True,
        )

    async def unfinished(self, received_before: datetime, now: datetime, limit: int) -> list[str]:
        found: dict[str, None] = {}
        for mark in (OPENED, CLASSIFIED):
            for not_waiting in ({"$exists": False}, {"$lt": now}):
                query = {
                    WRITTEN_AT: {"$lt": received_before},
                    f"progress.{mark}": {"$exists": False},
                    "progress.retry_at": not_waiting,
                }
                for document in await self.reports.find(query, {"_id": 1}).to_list(limit):
                    found[str(document["_id"])] = None
        return list(found)[:limit]

    async def republish(self, report_ids: list[str], retry_at: datetime) -> None:
        await self.reports.update_many(
            {"_id": {"$in": report_ids}},
            {
                "$set": {
                    outbox.PENDING: True,
                    outbox.PUBLISHED: 0,  # all of its outbox goes out again
                    "progress.retry_at": retry_at,
                }
            },
        )

    async def forget_idempotency(self, report_id: str) -> None:
        await self.reports.update_one({"_id": report_id}, {"$unset": {"idempotency": ""}})

    async def forget_expired_idempotency(self) -> None:
        await self.reports.update_many(
            {"idempotency.expires_at": {"$lt": utcnow()}}, {"$unset": {"idempotency": ""}}
        )
