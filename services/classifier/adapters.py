"""Classifier's adapters: its own store of results, and intake's content API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx
import numpy as np
from bson import Binary, Int64
from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, OperationFailure

from services.classifier import fingerprint
from services.classifier.domain import Candidate
from services.common.events import Classification

# An index lookup returns at most this many earlier reports: a band shared by thousands of
# reports says nothing about any one of them.
MAX_CANDIDATES = 200
# At most this many writes of concurrent reports go to the database as one bulk write.
MAX_GROUP = 64
DUPLICATE_KEY = 11000

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class Grouped(Generic[Item, Answer]):
    """Gathers what concurrent reports ask of the database into one request (group commit):
    one bulk write, or one query for all of them.

    Each caller still waits for its own answer (or fails with its own error), so a report's
    steps keep their order; what changes is that the reports in flight at once share one
    round trip instead of one each. A request is sent as soon as none is under way: nothing
    waits on a timer, and a lone report pays no delay."""

    def __init__(self, write: Callable[[list[Item]], Awaitable[list[Answer | Exception]]]) -> None:
        self._write = write
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._lock = asyncio.Lock()

    async def submit(self, item: Item) -> Answer:
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        async with self._lock:
            if not future.done():
                group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                try:
                    answers = await self._write([it for it, _ in group])
                except BaseException as exc:
                    for _, waiting in group:
                        if not waiting.done():
                            waiting.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                else:
                    for (_, waiting), answer in zip(group, answers, strict=True):
                        if waiting.done():
                            continue
                        if isinstance(answer, Exception):
                            waiting.set_exception(answer)
                        else:
                            waiting.set_result(answer)
        return await future


class ClassificationStore:
    """One classification per report, recording the event that asked for it (unique)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.classifications = db["classifications"]
        self._saves: Grouped[UpdateOne, bool] = Grouped(self._save_many)

    async def create_indexes(self) -> None:
        await self.classifications.create_index([("event_id", ASCENDING)], unique=True)

    async def _save_many(self, writes: list[UpdateOne]) -> list[bool | Exception]:
        """One unordered bulk write; a write refused by the unique event id is a repeat."""
        answers: list[bool | Exception] = [True] * len(writes)
        try:
            await self.classifications.bulk_write(writes, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                if error.get("code") == DUPLICATE_KEY:
                    answers[error["index"]] = False
                else:
                    answers[error["index"]] = OperationFailure(
                        error.get("errmsg", "write failed"), error.get("code")
                    )
        return answers

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
        Keyed by report: a later event classifying the same report replaces, never adds.
        Saves of reports sifted at the same time go to the database as one bulk write."""
        return await self._saves.submit(
            UpdateOne(
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
        )

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
        self._adds: Grouped[dict[str, Any], None] = Grouped(self._add_many)
        # A report's cluster as its candidate lookup saw it, until its `join` (no extra query).
        self._own_cluster: dict[str, str] = {}

    async def create_indexes(self) -> None:
        await self.fingerprints.create_index([("bands", ASCENDING)])
        await self.fingerprints.create_index([("keys", ASCENDING)])
        await self.fingerprints.create_index([("cluster_id", ASCENDING)])

    async def add(
        self, report_id: str, bands: list[int], keys: list[str], signature: np.ndarray
    ) -> None:
        """Stored before `candidates` is asked: reports sifted at the same time, here or by
        another replica, see each other. Adds of concurrent reports go as one insert."""
        await self._adds.submit(
            {
                "_id": report_id,
                "bands": [Int64(b) for b in bands],
                "keys": keys,
                "signature": Binary(fingerprint.to_bytes(signature)),
                "version": fingerprint.FINGERPRINT_VERSION,
                "cluster_id": report_id,
            }
        )

    async def _add_many(self, documents: list[dict[str, Any]]) -> list[Exception | None]:
        """A plain insert (cheaper than an upsert); a report sifted again (a redelivery, or
        another event for it) is already there: its fingerprint is replaced, its cluster kept."""
        answers: list[Exception | None] = [None] * len(documents)
        try:
            await self.fingerprints.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                i = error["index"]
                if error.get("code") != DUPLICATE_KEY:
                    answers[i] = OperationFailure(
                        error.get("errmsg", "write failed"), error.get("code")
                    )
                    continue
                again = {k: v for k, v in documents[i].items() if k not in ("_id", "cluster_id")}
                try:
                    await self.fingerprints.update_one(
                        {"_id": documents[i]["_id"]}, {"$set": again}
                    )
                except Exception as failed:  # handed to that report's caller alone
                    answers[i] = failed
        return answers

    async def candidates(
        self, report_id: str, bands: list[int], keys: list[str]
    ) -> list[Candidate]:
        # Two single-index queries: SecantusDB answers a `$or` of them by a collection scan
        # (measured: 1.4 s at 3,000 fingerprints, against 3 ms for the two). One query for
        # several reports' bands at once was measured too: it cost SecantusDB more, not less.
        # The band query also returns the report itself (it shares all its bands, having been
        # added first): that tells `join` its current cluster without a query of its own.
        queries: list[tuple[dict[str, Any], int]] = [
            ({"bands": {"$in": [Int64(b) for b in bands]}}, MAX_CANDIDATES + 1)
        ]
        if keys:
            queries.append(({"keys": {"$in": keys}, "_id": {"$ne": report_id}}, MAX_CANDIDATES))
        found: dict[str, Candidate] = {}
        for query, limit in queries:
            cursor = self.fingerprints.find(
                query, {"signature": 1, "keys": 1, "cluster_id": 1}, limit=limit
            )
            async for doc in cursor:
                if doc["_id"] == report_id:
                    self._own_cluster[report_id] = doc["cluster_id"]
                    continue
                found[doc["_id"]] = Candidate(
                    report_id=doc["_id"],
                    cluster_id=doc["cluster_id"],
                    signature=fingerprint.from_bytes(bytes(doc["signature"])),
                    entity_keys=tuple(doc.get("keys", ())),
                )
        return list(found.values())

    async def join(self, report_id: str, linked_clusters: set[str]) -> tuple[str, int]:
        own = self._own_cluster.pop(report_id, None)
        if own is None:  # not seen by `candidates` (a band shared by too many reports)
            mine = await self.fingerprints.find_one({"_id": report_id}, {"cluster_id": 1})
            own = mine["cluster_id"] if mine else report_id
        if not linked_clusters and own == report_id:
            return own, 1  # links to nothing, and nothing had joined it by the lookup
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
