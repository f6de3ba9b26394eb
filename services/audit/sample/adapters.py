"""The sample's storage: its periods and outcomes in MongoDB, and what the audit log knows of
each report (received when, classified how)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.audit.sample.domain import UNKNOWN_PROVINCE, iso
from services.common.events import STAGE_CHANGED_V1, SUBMITTED_V1

SUBMITTED_AT = "record.event.data.submitted_at"


class SamplePeriods:
    """One document per period, `_id` the period id: a second commit cannot be stored."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.periods = db["sample_periods"]
        self.outcomes = db["sample_outcomes"]

    async def create_indexes(self) -> None:
        await self.outcomes.create_index([("period", ASCENDING)])

    async def add(self, record: dict[str, Any]) -> bool:
        """False when the period is committed already."""
        period_id = record["commitment"]["period"]["id"]
        try:
            await self.periods.insert_one({"_id": period_id, **record})
        except DuplicateKeyError:
            return False
        return True

    async def get(self, period_id: str) -> dict[str, Any] | None:
        document = await self.periods.find_one({"_id": period_id})
        if document is None:
            return None
        document.pop("_id")
        return document

    async def set_draw(self, period_id: str, draw: dict[str, Any]) -> bool:
        """False when the period was drawn already (or meanwhile, by another caller)."""
        result = await self.periods.update_one(
            {"_id": period_id, "draw": None}, {"$set": {"draw": draw}}
        )
        return result.modified_count == 1

    async def all(self) -> list[dict[str, Any]]:
        # The population lists can be long: the overview leaves them out.
        return await self.periods.find(
            {}, {"population": 0, "strata": 0, "draw.selection": 0}
        ).to_list(None)

    async def add_outcome(self, outcome: dict[str, Any]) -> bool:
        """False when this report's outcome for the period is recorded already."""
        try:
            await self.outcomes.insert_one(
                {"_id": f"{outcome['period']}|{outcome['report_id']}", **outcome}
            )
        except DuplicateKeyError:
            return False
        return True

    async def outcome(self, period_id: str, report_id: str) -> dict[str, Any] | None:
        return await self.outcomes.find_one({"_id": f"{period_id}|{report_id}"})

    async def outcome_list(self, period_id: str) -> list[dict[str, Any]]:
        found = self.outcomes.find({"period": period_id}, {"note": 0, "_id": 0})
        return sorted(await found.to_list(None), key=lambda doc: doc["at"])

    async def outcomes_of(self, period_id: str) -> dict[str, str]:
        return {
            doc["report_id"]: doc["outcome"]
            async for doc in self.outcomes.find({"period": period_id}, {"note": 0})
        }

    async def outcome_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        async for doc in self.outcomes.find({}, {"period": 1}):
            counts[doc["period"]] = counts.get(doc["period"], 0) + 1
        return counts


class LoggedReports:
    """Reports as the audit log holds them: every submitted and classified event."""

    BATCH = 500

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.entries = db["audit_log"]

    async def create_indexes(self) -> None:
        await self.entries.create_index([(SUBMITTED_AT, ASCENDING)], sparse=True)

    async def received_between(self, start: datetime, end: datetime) -> list[str]:
        """Report ids submitted in [start, end), by the time intake gave them.

        Times are stored as text; the query takes a day more on each side (offsets, and
        text order differs from time order within a second) and the exact cut is made here."""
        query = {
            "record.event.type": SUBMITTED_V1,
            SUBMITTED_AT: {
                "$gte": iso(start - timedelta(days=1)),
                "$lt": iso(end + timedelta(days=1)),
            },
        }
        found = set()
        async for entry in self.entries.find(query, {"record.event.data": 1}):
            data = entry["record"]["event"]["data"]
            submitted = datetime.fromisoformat(str(data["submitted_at"]).replace("Z", "+00:00"))
            if start <= submitted < end:
                found.add(str(data["report_id"]))
        return sorted(found)

    async def categories(self, report_ids: Iterable[str]) -> dict[str, tuple[str, list[str]]]:
        """Each report's province and crime types from its latest classification."""
        ids = list(report_ids)
        latest: dict[str, tuple[int, str, list[str]]] = {}
        for offset in range(0, len(ids), self.BATCH):
            query = {
                "record.event.subject": {"$in": ids[offset : offset + self.BATCH]},
                "record.event.type": STAGE_CHANGED_V1,
                "record.event.data.stage": "classified",
            }
            projection = {"record.event.subject": 1, "record.event.data.classification": 1}
            async for entry in self.entries.find(query, projection):
                classification = entry["record"]["event"]["data"].get("classification") or {}
                subject = entry["record"]["event"]["subject"]
                if subject not in latest or latest[subject][0] < entry["_id"]:
                    latest[subject] = (
                        entry["_id"],
                        classification.get("province") or UNKNOWN_PROVINCE,
                        list(classification.get("crime_types") or []),
                    )
        return {subject: (province, crimes) for subject, (_, province, crimes) in latest.items()}
