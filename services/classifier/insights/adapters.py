"""The read model's collections in the classifier's database.

insight_reports   one document per report: its state (categories only) and the event ids applied
insight_cells     one document per cell (services/classifier/insights/domain.py), the counts
insight_journal   a batch's intended changes, written first and removed last (see `Journal`)
insight_entities  per industry and linking entity (by an opaque reference, never the value or its
                  keyed hash): the reports, incidents and provinces it appears in
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.classifier.insights.domain import MEASURES, ReportState, cell_dimensions

DUPLICATE_KEY = 11000
APPLIED_KEPT = 64
# A cell keeps the ids of the last BATCHES_KEPT batches that changed it: a batch's id is needed
# there only until its journal entry is finished, which its own replica does before its next
# batch, and any other after STALE_AFTER (updates.py). Clearing them with an update of their
# own cost SecantusDB more than the increments.
BATCHES_KEPT = 50
COUNT_FIELDS = dict.fromkeys(
    ("family", "month", "industry", "province", *MEASURES), 1
)  # event ids remembered per report: far more than one report ever gets


def entity_ref(industry: str, hidden_key: str) -> str:
    """An opaque name for an entity within an industry. A hash of the index's keyed hash, so
    it cannot be matched against the fingerprint index or guessed from a value."""
    digest = hashlib.sha256(f"insights|{industry}|{hidden_key}".encode()).hexdigest()
    return digest[:24]


def _ignore_duplicates(exc: BulkWriteError) -> None:
    for error in exc.details.get("writeErrors", []):
        if error.get("code") != DUPLICATE_KEY:
            raise exc


def _report_document(saved: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "_id": saved["report_id"],
        "state": saved["state"],
        "applied": list(saved["applied"])[-APPLIED_KEPT:],
    }


class InsightStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.reports = db["insight_reports"]
        self.cells = db["insight_cells"]
        self.journal = db["insight_journal"]
        self.entities = db["insight_entities"]
        self.fingerprints = db["fingerprints"]  # the classifier's own linking index
        self.classifications = db["classifications"]  # and its results (links only are read)

    async def create_indexes(self) -> None:
        await self.cells.create_index([("family", ASCENDING), ("month", ASCENDING)])
        await self.cells.create_index(
            [("family", ASCENDING), ("industry", ASCENDING), ("month", ASCENDING)]
        )
        await self.journal.create_index([("at", ASCENDING)])
        await self.entities.create_index([("industry", ASCENDING), ("size", DESCENDING)])
        await self.entities.create_index([("members.r", ASCENDING)])

    # --- the per-report states -------------------------------------------------------------
    async def states(self, report_ids: Sequence[str]) -> dict[str, tuple[ReportState, list[str]]]:
        found = self.reports.find({"_id": {"$in": list(report_ids)}})
        return {
            doc["_id"]: (ReportState.from_document(doc.get("state")), doc.get("applied", []))
            async for doc in found
        }

    async def save_states(self, saved: Iterable[Mapping[str, Any]]) -> None:
        """Each {"report_id", "state", "applied", "new"}: a new report's is inserted (all in
        one request), an earlier one's replaced whole; a repeat of either is harmless."""
        saved = list(saved)
        fresh = [s for s in saved if s.get("new")]
        replaced = [s for s in saved if not s.get("new")]
        if fresh:
            try:
                await self.reports.insert_many([_report_document(s) for s in fresh], ordered=False)
            except BulkWriteError as exc:  # stored already: a batch finished a second time
                _ignore_duplicates(exc)
                errors = {e["index"] for e in exc.details.get("writeErrors", [])}
                replaced += [fresh[i] for i in errors]
        ops = [
            ReplaceOne({"_id": s["report_id"]}, _report_document(s), upsert=True) for s in replaced
        ]
        if ops:
            await self.reports.bulk_write(ops, ordered=False)

    # --- the journal ---------------------------------------------------------------------------
    async def begin(self, batch: str, at: datetime, document: dict[str, Any]) -> None:
        await self.journal.insert_one({"_id": batch, "at": at, **document})

    async def unfinished(self, older_than: datetime) -> list[dict[str, Any]]:
        return [doc async for doc in self.journal.find({"at": {"$lt": older_than}})]

    async def finish(self, batch: str) -> None:
        await self.journal.delete_one({"_id": batch})

    # --- the cells -----------------------------------------------------------------------------
    async def add_to_cells(self, batch: str, increments: Mapping[str, Mapping[str, int]]) -> None:
        """Each cell is changed once per batch: the batch id is recorded in the cell in the same
        write, and a cell that has it already is left alone (its upsert then collides with the
        existing document, which is the sign it was done)."""
        ops = [
            UpdateOne(
                {"_id": cell, "batches": {"$ne": batch}},
                {
                    "$inc": dict(fields),
                    "$push": {"batches": {"$each": [batch], "$slice": -BATCHES_KEPT}},
                    "$setOnInsert": cell_dimensions(cell),
                },
                upsert=True,
            )
            for cell, fields in increments.items()
        ]
        if not ops:
            return
        try:
            await self.cells.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            _ignore_duplicates(exc)

    async def read_cells(
        self,
        family: str,
        first: str,
        last: str,
        *,
        counts_only: bool = False,
        industry: str | None = None,
    ) -> list[dict[str, Any]]:
        """A family's cells in a period (of one industry); `counts_only` leaves out outcomes
        and the finer maps. Answered from the (family, month) and (family, industry, month)
        indexes: SecantusDB scans for a range of _id."""
        shown = COUNT_FIELDS if counts_only else {"batches": 0}
        query: dict[str, Any] = {"family": family}
        if industry is not None:
            query["industry"] = industry
        query["month"] = {"$gte": first, "$lte": last}
        return [doc async for doc in self.cells.find(query, shown)]

    # --- recurring entities --------------------------------------------------------------------
    async def entity_keys(self, report_ids: Sequence[str]) -> dict[str, list[str]]:
        found = self.fingerprints.find({"_id": {"$in": list(report_ids)}}, {"keys": 1})
        return {doc["_id"]: list(doc.get("keys") or []) async for doc in found}

    async def copies(self, report_ids: Sequence[str]) -> set[str]:
        """The reports the classifier found to be copies of an earlier one (a campaign's)."""
        found = self.classifications.find(
            {"_id": {"$in": list(report_ids)}, "links.relation": "duplicate"}, {"_id": 1}
        )
        return {doc["_id"] async for doc in found}

    async def place_entities(
        self, placed: Sequence[tuple[str, str, str, str, list[str], bool]]
    ) -> None:
        """(report id, industry, cluster id, province, hidden keys, is a copy): the report
        leaves every entity it was listed under and joins those it names now. Repeating it is
        harmless."""
        ops: list[UpdateMany | UpdateOne] = []
        listed = self.entities.find({"members.r": {"$in": [p[0] for p in placed]}}, {"_id": 1})
        refs = {doc["_id"] async for doc in listed}
        for report_id, industry, cluster, province, keys, copy in placed:
            ops.append(
                UpdateMany({"members.r": report_id}, {"$pull": {"members": {"r": report_id}}})
            )
            for key in keys:
                ops.append(
                    UpdateOne(
                        {"_id": entity_ref(industry, key)},
                        {
                            "$push": {
                                "members": {"r": report_id, "c": cluster, "p": province, "d": copy}
                            },
                            "$setOnInsert": {"industry": industry, "kind": key.split(":")[0]},
                        },
                        upsert=True,
                    )
                )
        if ops:
            await self.entities.bulk_write(ops, ordered=True)
        refs |= {entity_ref(p[1], k) for p in placed for k in p[4]}
        if refs:  # `size` orders the listing; members decide every count shown
            await self.entities.update_many(
                {"_id": {"$in": sorted(refs)}}, [{"$set": {"size": {"$size": "$members"}}}]
            )

    async def recurring_entities(self, industry: str, limit: int) -> list[dict[str, Any]]:
        found = self.entities.find({"industry": industry, "size": {"$gte": 2}})
        return [doc async for doc in found.sort("size", DESCENDING).limit(limit)]

    async def entity(self, ref: str) -> dict[str, Any] | None:
        return await self.entities.find_one({"_id": ref})
