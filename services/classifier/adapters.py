"""Classifier's adapters: its own store of results, and intake's content API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import numpy as np
from bson import Binary, Int64
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.classifier import fingerprint
from services.classifier.domain import Candidate
from services.common.events import Classification

# An index lookup returns at most this many earlier reports: a band shared by thousands of
# reports says nothing about any one of them.
MAX_CANDIDATES = 200


class ClassificationStore:
    """One classification per report, recording the event that asked for it (unique)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.classifications = db["classifications"]

    async def create_indexes(self) -> None:
        await self.classifications.create_index([("event_id", ASCENDING)], unique=True)

    async def for_event(self, event_id: str) -> tuple[Classification, datetime] | None:
        """What this event already produced, and when: a redelivery changes nothing."""
        found = await self.classifications.find_one({"event_id": event_id})
        if found is None:
            return None
        return Classification.model_validate(found), found["classified_at"]

    async def save(
        self,
        report_id: str,
        event_id: str,
        result: Classification,
        at: datetime,
        details: dict[str, Any] | None = None,
    ) -> bool:
        """Stores the report's classification; False if this event's is stored already.

        `details` is what only staff see: evidence phrases, entities, links, reasons, city.
        Keyed by report: a later event classifying the same report replaces, never adds."""
        try:
            await self.classifications.update_one(
                {"_id": report_id, "event_id": {"$ne": event_id}},
                {
                    "$set": {
                        **result.model_dump(mode="json"),
                        **(details or {}),
                        "event_id": event_id,
                        "classified_at": at,
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # this event's classification is there (unique event_id)
        return True

    async def get(self, report_id: str) -> dict[str, Any] | None:
        return await self.classifications.find_one({"_id": report_id})

    async def reclassify(
        self, report_id: str, change_id: str, result: Classification, record: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Applies a person's re-classification once (keyed by its change id) and keeps the
        earlier decision in the report's history. None if the report is unknown."""
        done = await self.classifications.find_one(
            {"_id": report_id, "history.change_id": change_id}
        )
        if done is not None:
            return done
        fields = result.model_dump(mode="json", include=set(record["changed"]))
        return await self.classifications.find_one_and_update(
            {"_id": report_id},
            {"$set": {**fields, "decided_by": "staff"}, "$push": {"history": record}},
            return_document=ReturnDocument.AFTER,
        )


class FingerprintIndex:
    """MinHash band hashes and linking-entity keys of every report, under multikey indexes, in
    the classifier's database: every replica shares it, and it survives restarts.

    A report's cluster id is the smallest cluster id among the reports it links to (its own id
    when it links to none), so a cluster keeps the id it was founded with; joining merges every
    linked cluster into that one. Two replicas linking the same reports at once each move the
    other's whole cluster, so the members end in one cluster whichever writes last."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.fingerprints = db["fingerprints"]

    async def create_indexes(self) -> None:
        await self.fingerprints.create_index([("bands", ASCENDING)])
        await self.fingerprints.create_index([("keys", ASCENDING)])
        await self.fingerprints.create_index([("cluster_id", ASCENDING)])

    async def add(
        self, report_id: str, bands: list[int], keys: list[str], signature: np.ndarray
    ) -> None:
        await self.fingerprints.update_one(
            {"_id": report_id},
            {
                "$set": {
                    "bands": [Int64(b) for b in bands],
                    "keys": keys,
                    "signature": Binary(fingerprint.to_bytes(signature)),
                    "version": fingerprint.FINGERPRINT_VERSION,
                },
                "$setOnInsert": {"cluster_id": report_id},
            },
            upsert=True,
        )

    async def candidates(
        self, report_id: str, bands: list[int], keys: list[str]
    ) -> list[Candidate]:
        # Two single-index queries rather than one $or: each uses its multikey index.
        queries: list[dict[str, Any]] = [{"bands": {"$in": [Int64(b) for b in bands]}}]
        if keys:
            queries.append({"keys": {"$in": keys}})
        found: dict[str, Candidate] = {}
        for query in queries:
            cursor = self.fingerprints.find(
                {**query, "_id": {"$ne": report_id}},
                {"signature": 1, "keys": 1, "cluster_id": 1},
                limit=MAX_CANDIDATES,
            )
            async for doc in cursor:
                found[doc["_id"]] = Candidate(
                    report_id=doc["_id"],
                    cluster_id=doc["cluster_id"],
                    signature=fingerprint.from_bytes(bytes(doc["signature"])),
                    entity_keys=tuple(doc.get("keys", ())),
                )
        return list(found.values())

    async def join(self, report_id: str, linked_clusters: set[str]) -> tuple[str, int]:
        mine = await self.fingerprints.find_one({"_id": report_id}, {"cluster_id": 1})
        own = mine["cluster_id"] if mine else report_id
        if not linked_clusters and own == report_id:
            return own, 1  # links to nothing, and nothing has joined it meanwhile
        clusters = linked_clusters | {own}
        # The earlier cluster names the merged one: a new report never renames a cluster.
        chosen = min(linked_clusters) if linked_clusters else own
        if len(clusters) > 1:
            await self.fingerprints.update_many(
                {"cluster_id": {"$in": sorted(clusters - {chosen})}},
                {"$set": {"cluster_id": chosen}},
            )
        return chosen, await self.fingerprints.count_documents({"cluster_id": chosen})

    async def cluster_of(self, report_id: str) -> str | None:
        found = await self.fingerprints.find_one({"_id": report_id}, {"cluster_id": 1})
        return found["cluster_id"] if found else None

    async def members(self, cluster_id: str) -> list[str]:
        found = self.fingerprints.find({"cluster_id": cluster_id}, {"_id": 1}).sort("_id", 1)
        return [doc["_id"] async for doc in found]


class ReportContentMissing(Exception):
    """Intake has no report with this id: the event points at nothing."""


class ReportContentUnreadable(Exception):
    """Intake's sealed copy of the report does not open (altered, or its key retired): no
    retry can help, so the event is dead-lettered for a person to look at."""


class IntakeUnavailable(ConnectionError):
    """Intake cannot answer now (down, or refusing our token): wait, do not give up on events.

    A ConnectionError, so the consumer retries the same event instead of dead-lettering it.
    """


class IntakeContentClient:
    """Reads what was reported from intake's API: events carry references, never content."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0
        )

    async def content(self, report_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/internal/v1/reports/{report_id}/content")
        if response.status_code == 404:
            raise ReportContentMissing(report_id)
        if response.status_code == 500 and _error_of(response) == "sealed_content_does_not_open":
            raise ReportContentUnreadable(report_id)
        if response.status_code in (401, 403) or response.status_code >= 500:
            raise IntakeUnavailable(f"intake answered {response.status_code}")
        response.raise_for_status()
        content: dict[str, Any] = response.json()
        return content

    async def close(self) -> None:
        await self.http.aclose()


def _error_of(response: httpx.Response) -> str | None:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return None
    return detail.get("error") if isinstance(detail, dict) else None
