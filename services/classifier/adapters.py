"""Classifier's adapters: its own store of results, and intake's content API."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from bson import Binary, Int64
from pymongo import ASCENDING, ReturnDocument, UpdateMany, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from services.classifier import evidence, fingerprint
from services.classifier.domain import Candidate, Fingerprint, Join, Lookup, plan_merges
from services.common.events import Classification

# An index lookup returns at most this many earlier reports: a band shared by thousands of
# reports says nothing about any one of them.
MAX_CANDIDATES = 200
DUPLICATE_KEY = 11000
# The most reports looked up in one query on the fingerprint index. SecantusDB checks every
# document the index finds against the whole `$in`, one value at a time, so a query's cost
# grows with its values times its documents. Measured on 1,000 varied reports, batches of 64,
# its CPU per report: 5 ms one report per query, 11 ms four, 19 ms eight, 69 ms all 64. In the
# whole pipeline at 50 reports/s (`make bench-database`, the server's CPU by command) two to a
# query took 1.4 s of the server's CPU for 400 reports against 2.2 s with eight, for 0.3 more
# commands per report. (MongoDB matches an `$in` through a sorted set: there, one query per
# batch would cost less, never more.)
LOOKUPS_PER_FIND = 2
# The most reports asked of intake in one batch read (intake takes up to 200): a larger batch
# goes in several requests, a few at a time.
CONTENTS_PER_REQUEST = 100
# After merging, a batch re-reads its reports' clusters and those of the reports they link to,
# and merges again what another replica split meanwhile: at most this many times.
CONVERGE_ROUNDS = 5


@dataclass(frozen=True)
class Save:
    """One report's classification to store, with the event that asked for it."""

    report_id: str
    event_id: str
    result: Classification
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        # `details` is what only staff see: evidence phrases, entities, links, reasons, city.
        return {
            **self.result.model_dump(mode="json"),
            **self.details,
            "event_id": self.event_id,
            "classified_at": self.at,
        }


def _write_errors(exc: BulkWriteError) -> dict[int, dict[str, Any]]:
    return {error["index"]: error for error in exc.details.get("writeErrors", [])}


def _failure(error: dict[str, Any]) -> OperationFailure:
    return OperationFailure(error.get("errmsg", "write failed"), error.get("code"))


class ClassificationStore:
    """One classification per report, recording the event that asked for it (unique)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.classifications = db["classifications"]

    async def create_indexes(self) -> None:
        await self.classifications.create_index([("event_id", ASCENDING)], unique=True)

    async def for_events(self, event_ids: list[str]) -> dict[str, tuple[Classification, datetime]]:
        """What these events already produced, and when: a redelivery changes nothing."""
        if not event_ids:
            return {}
        found = self.classifications.find({"event_id": {"$in": event_ids}})
        return {
            doc["event_id"]: (Classification.model_validate(doc), doc["classified_at"])
            async for doc in found
        }

    async def save(self, saves: list[Save]) -> list[bool | Exception]:
        """Stores each report's classification: True, or False when its event's is stored
        already, or the error of that report alone.

        Keyed by report: a later event classifying the same report replaces, never adds.
        A new report's is a plain insert, all of them in one request; only a report
        classified before costs an update."""
        answers: list[bool | Exception] = [True] * len(saves)
        if not saves:
            return answers
        try:
            await self.classifications.insert_many(
                [{"_id": s.report_id, **s.document()} for s in saves], ordered=False
            )
            return answers
        except BulkWriteError as exc:
            errors = _write_errors(exc)
        replaced: list[int] = []
        for i, error in errors.items():
            if error.get("code") != DUPLICATE_KEY:
                answers[i] = _failure(error)
            elif "event_id" in (error.get("keyPattern") or {}):
                answers[i] = False  # this event's classification is stored already
            else:
                replaced.append(i)
        for i in replaced:  # rare: a redelivery, or another event for the same report
            try:
                updated = await self.classifications.update_one(
                    {"_id": saves[i].report_id, "event_id": {"$ne": saves[i].event_id}},
                    {"$set": saves[i].document()},
                )
            except DuplicateKeyError:
                answers[i] = False
            except OperationFailure as failed:
                answers[i] = failed
            else:
                # Matching nothing means the stored one came from this same event.
                answers[i] = updated.matched_count == 1
        return answers

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


def _lookup_values(fp: Fingerprint) -> list[Any]:
    """What a fingerprint is found by: its band hashes (int64, as MongoDB stores them) and its
    hidden entity keys, in one multikey field."""
    return [*(Int64(b) for b in fp.bands), *fp.keys]


def _by_id(doc: dict[str, Any]) -> str:
    return str(doc["_id"])


class FingerprintIndex:
    """MinHash band hashes and linking-entity keys of every report, under one multikey index
    (`lookup`), in the classifier's database: every replica shares it, and it survives restarts.

    Every cluster carries a rank, the time its founding report was added (`cluster_rank`; a
    batch shares one, and fingerprints stored before ranks count as earliest). Joining merges
    every linked cluster into the earliest-ranked one (ties to the smallest id), so a cluster
    keeps the id it was founded with, and replicas sifting linked reports at the same moment
    all pick the same survivor. After its merges a batch reads again the clusters of its
    reports and of the reports they link to, and merges again while they differ (another
    replica may have moved some meanwhile): copies of one report sifted at once by several
    replicas end in one cluster, and each result names the cluster its report is in."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.fingerprints = db["fingerprints"]

    async def create_indexes(self) -> None:
        await self.fingerprints.create_index([("lookup", ASCENDING)])
        await self.fingerprints.create_index([("cluster_id", ASCENDING)])
        await self.fingerprints.create_index([("evidence", ASCENDING)])
        await self._move_to_one_lookup_field()

    async def _move_to_one_lookup_field(self) -> None:
        """Fingerprints stored before bands and keys shared one field get it, in one update,
        and the two old indexes go. Those indexes mark such data, so a start-up without them
        scans nothing; they go last, so a start-up cut short moves the rest the next time."""
        existing = [index["name"] async for index in await self.fingerprints.list_indexes()]
        old = [name for name in ("bands_1", "keys_1") if name in existing]
        if not old:
            return
        await self.fingerprints.update_many(
            {"lookup": {"$exists": False}},
            [
                {"$set": {"lookup": {"$concatArrays": ["$bands", {"$ifNull": ["$keys", []]}]}}},
                {"$unset": "bands"},
            ],
        )
        for name in old:
            await self.fingerprints.drop_index(name)

    async def add(self, fingerprints: list[Fingerprint]) -> None:
        """Stored before `candidates` is asked: reports sifted at the same time, here or by
        another replica, see each other. One insert for the batch (cheaper than upserts); a
        report sifted again (a redelivery) is already there: its fingerprint is replaced, its
        cluster kept."""
        rank = f"{time.time_ns():020d}"
        documents = [
            {
                "_id": fp.report_id,
                "lookup": _lookup_values(fp),
                "keys": fp.keys,
                "evidence": list(fp.evidence),
                "signature": Binary(fingerprint.to_bytes(fp.signature)),
                "version": fingerprint.FINGERPRINT_VERSION,
                "cluster_id": fp.report_id,
                "cluster_rank": rank,
            }
            for fp in fingerprints
        ]
        if not documents:
            return
        try:
            await self.fingerprints.insert_many(documents, ordered=False)
            return
        except BulkWriteError as exc:
            errors = _write_errors(exc)
        for error in errors.values():
            if error.get("code") != DUPLICATE_KEY:
                raise _failure(error)
        await self.fingerprints.bulk_write(
            [
                UpdateOne(
                    {"_id": documents[i]["_id"]},
                    {
                        "$set": {
                            k: v
                            for k, v in documents[i].items()
                            if k not in ("_id", "cluster_id", "cluster_rank")
                        }
                    },
                )
                for i in errors
            ],
            ordered=False,
        )

    async def candidates(self, fingerprints: list[Fingerprint]) -> list[Lookup]:
        lookups = await self._lookups(fingerprints)
        # A lookup filled by other reports may not have returned the report itself: its current
        # cluster (another replica may have merged it since the add) is asked for once.
        unseen = [
            fp.report_id
            for fp, lookup in zip(fingerprints, lookups, strict=True)
            if lookup.own_cluster is None
        ]
        if unseen:
            own = await self._current(unseen)
            lookups = [
                Lookup(lookup.candidates, *own.get(fp.report_id, (None, "")))
                if lookup.own_cluster is None
                else lookup
                for fp, lookup in zip(fingerprints, lookups, strict=True)
            ]
        return lookups

    async def _lookups(self, fingerprints: list[Fingerprint]) -> list[Lookup]:
        """The batch's lookups, LOOKUPS_PER_FIND reports to a query."""
        chunks = [
            fingerprints[i : i + LOOKUPS_PER_FIND]
            for i in range(0, len(fingerprints), LOOKUPS_PER_FIND)
        ]
        found = await asyncio.gather(*(self._lookups_together(chunk) for chunk in chunks))
        return [lookup for lookups in found for lookup in lookups]

    async def _lookups_together(self, fingerprints: list[Fingerprint]) -> list[Lookup]:
        """Each fingerprint's lookup, as `_lookup` would answer it alone, from one query for
        them all on the multikey index: every band and key of theirs in one `$in`,
        each document then handed to the fingerprints it shares a value with (the answer
        carries `lookup` for that), in the order of each fingerprint's own values.

        Bounded like `_lookup`: a fingerprint given more than MAX_CANDIDATES documents keeps
        the first MAX_CANDIDATES + 1 and asks for its entities alone. When the batch's answer
        itself reached its limit, a fingerprint given fewer may be missing some: it asks alone.
        """
        if not fingerprints:
            return []
        values = [_lookup_values(fp) for fp in fingerprints]
        # SecantusDB checks each document found against the `$in` from its start: the values
        # most reports of the batch share go first, then each report's first value, second, ...
        turns = [v for turn in itertools.zip_longest(*values) for v in turn if v is not None]
        shared = Counter(turns)
        wanted = sorted(dict.fromkeys(turns), key=lambda v: -shared[v])
        limit = (MAX_CANDIDATES + 1) * len(fingerprints)
        docs = await self._find({"lookup": {"$in": wanted}}, limit, with_lookup=True)
        by_value: dict[Any, list[dict[str, Any]]] = {}
        for doc in docs:
            for value in dict.fromkeys(doc.get("lookup", ())):
                by_value.setdefault(value, []).append(doc)
        complete = len(docs) < limit
        found: list[list[dict[str, Any]] | None] = []
        for own_values in values:
            # As SecantusDB's index answers one report's lookup: by its values in turn, each
            # value's documents by id.
            mine = list(
                {
                    d["_id"]: d for v in own_values for d in sorted(by_value.get(v, ()), key=_by_id)
                }.values()
            )
            # An answer cut short may lack some of a report's documents: it asks alone.
            found.append(mine if complete or len(mine) > MAX_CANDIDATES else None)
        return list(
            await asyncio.gather(
                *(self._settle(fp, docs) for fp, docs in zip(fingerprints, found, strict=True))
            )
        )

    async def _settle(self, fp: Fingerprint, docs: list[dict[str, Any]] | None) -> Lookup:
        """A fingerprint's lookup from the documents found for it (None: ask for it alone)."""
        if docs is None:
            return await self._lookup(fp)
        if len(docs) > MAX_CANDIDATES:
            # Bands shared by very many reports filled the answer: ask for the entities alone,
            # so a shared phone or plate is never crowded out by common wording.
            docs = docs[: MAX_CANDIDATES + 1]
            if fp.keys:
                docs = docs + await self._find({"lookup": {"$in": fp.keys}}, MAX_CANDIDATES)
        return self._lookup_of(fp, docs)

    async def _lookup(self, fp: Fingerprint) -> Lookup:
        # One query on one multikey index for bands and keys alike. The report itself shares
        # all its bands (it was added first), so its own cluster comes back too, and `join`
        # needs no query of its own. A `$or` of two fields would be answered by SecantusDB
        # with a collection scan.
        docs = await self._find({"lookup": {"$in": _lookup_values(fp)}}, MAX_CANDIDATES + 1)
        return await self._settle(fp, docs)

    @staticmethod
    def _lookup_of(fp: Fingerprint, docs: list[dict[str, Any]]) -> Lookup:
        own: str | None = None
        own_rank = ""
        found: dict[str, Candidate] = {}
        for doc in docs:
            if doc["_id"] == fp.report_id:
                own, own_rank = doc["cluster_id"], doc.get("cluster_rank", "")
            elif doc["_id"] not in found:
                found[doc["_id"]] = Candidate(
                    report_id=doc["_id"],
                    cluster_id=doc["cluster_id"],
                    signature=fingerprint.from_bytes(bytes(doc["signature"])),
                    entity_keys=tuple(doc.get("keys", ())),
                    cluster_rank=doc.get("cluster_rank", ""),
                )
        return Lookup(list(found.values()), own, own_rank)

    async def evidence_candidates(self, fingerprints: list[Fingerprint]) -> list[list[Candidate]]:
        """Earlier reports sharing an evidence key with each (`evidence.keys`: hashes of a
        place, a crime and a name or number together, or of two names or numbers), through the
        multikey index on `evidence`, so every replica finds what the others stored. One query
        for the batch (evidence keys are specific, so few documents come back and SecantusDB's
        cost of matching them against a long `$in` stays small), at most MAX_CANDIDATES per
        report."""
        wanted = {fp.report_id: set(evidence.lookup_keys(fp.evidence)) for fp in fingerprints}
        every = sorted(set().union(*wanted.values())) if wanted else []
        answers: list[list[Candidate]] = [[] for _ in fingerprints]
        if not every:
            return answers
        cursor = self.fingerprints.find(
            {"evidence": {"$in": every}},
            {"signature": 1, "keys": 1, "evidence": 1, "cluster_id": 1, "cluster_rank": 1},
            limit=(MAX_CANDIDATES + 1) * len(fingerprints),
        )
        async for doc in cursor:
            held = set(doc.get("evidence", ()))
            candidate: Candidate | None = None
            for i, fp in enumerate(fingerprints):
                if doc["_id"] == fp.report_id or len(answers[i]) >= MAX_CANDIDATES:
                    continue
                if wanted[fp.report_id] & held:
                    candidate = candidate or Candidate(
                        report_id=doc["_id"],
                        cluster_id=doc["cluster_id"],
                        signature=fingerprint.from_bytes(bytes(doc["signature"])),
                        entity_keys=tuple(doc.get("keys", ())),
                        cluster_rank=doc.get("cluster_rank", ""),
                        evidence_keys=tuple(held),
                    )
                    answers[i].append(candidate)
        return answers

    async def _find(
        self, query: dict[str, Any], limit: int, with_lookup: bool = False
    ) -> list[dict[str, Any]]:
        fields = {"signature": 1, "keys": 1, "cluster_id": 1, "cluster_rank": 1}
        cursor = self.fingerprints.find(
            query, {**fields, "lookup": 1} if with_lookup else fields, limit=limit
        )
        return [doc async for doc in cursor]

    async def join(self, joins: list[Join]) -> list[tuple[str, int]]:
        ranks = {c: r for j in joins for c, r in j.ranks.items()}
        plan = plan_merges(joins, ranks)
        await self._rename(plan.renames, ranks)
        cluster_of = await self._converge(joins, plan.cluster_of)
        counted = sorted(set(cluster_of.values()))
        sizes: dict[str, int] = {}
        if counted:
            grouped = await self.fingerprints.aggregate(
                [
                    {"$match": {"cluster_id": {"$in": counted}}},
                    {"$group": {"_id": "$cluster_id", "size": {"$sum": 1}}},
                ]
            )
            sizes.update({doc["_id"]: doc["size"] async for doc in grouped})
        return [(cluster_of[j.report_id], sizes.get(cluster_of[j.report_id], 1)) for j in joins]

    async def _rename(self, renames: list[tuple[str, list[str]]], ranks: dict[str, str]) -> None:
        if renames:
            await self.fingerprints.bulk_write(
                [
                    UpdateMany(
                        {"cluster_id": {"$in": merged}},
                        {"$set": {"cluster_id": chosen, "cluster_rank": ranks.get(chosen, "")}},
                    )
                    for chosen, merged in renames
                ],
                ordered=False,
            )

    async def _converge(self, joins: list[Join], planned: dict[str, str]) -> dict[str, str]:
        """Each report's cluster as stored now, after merging again whatever it links to that
        another replica's concurrent merge left in a different cluster. One read for the batch
        when nothing raced (the usual case)."""
        cluster_of = dict(planned)
        watched = sorted({r for j in joins for r in (j.report_id, *j.linked_reports)})
        for _ in range(CONVERGE_ROUNDS):
            current = await self._current(watched)
            again = []
            for j in joins:
                own = current.get(j.report_id, (cluster_of[j.report_id], ""))
                linked = {
                    current[r] for r in j.linked_reports if r in current and current[r][0] != own[0]
                }
                cluster_of[j.report_id] = own[0]
                if linked:
                    again.append(
                        Join(
                            j.report_id,
                            own[0],
                            frozenset(c for c, _ in linked),
                            ranks=dict([own, *linked]),
                        )
                    )
            if not again:
                break
            ranks = {c: r for j in again for c, r in j.ranks.items()}
            plan = plan_merges(again, ranks)
            await self._rename(plan.renames, ranks)
            cluster_of.update(plan.cluster_of)
        return cluster_of

    async def _current(self, report_ids: list[str]) -> dict[str, tuple[str, str]]:
        """(cluster id, cluster rank) of each of these reports, as stored now."""
        found = self.fingerprints.find(
            {"_id": {"$in": report_ids}}, {"cluster_id": 1, "cluster_rank": 1}
        )
        return {doc["_id"]: (doc["cluster_id"], doc.get("cluster_rank", "")) async for doc in found}

    async def own_clusters(self, report_ids: list[str]) -> dict[str, str]:
        found = self.fingerprints.find({"_id": {"$in": report_ids}}, {"cluster_id": 1})
        return {doc["_id"]: doc["cluster_id"] async for doc in found}

    async def cluster_of(self, report_id: str) -> str | None:
        return (await self.own_clusters([report_id])).get(report_id)

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

    def __init__(self, base_url: str, token: str, in_flight: int = 8) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0
        )
        # A batch's reads go a few at a time: a burst of them would queue intake's own
        # submissions behind them (and risk the 10 s timeout failing a whole batch).
        self._in_flight = asyncio.Semaphore(in_flight)

    async def content(self, report_id: str) -> dict[str, Any]:
        async with self._in_flight:
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

    async def contents(self, report_ids: list[str]) -> dict[str, dict[str, Any] | Exception]:
        """Many reports' content in one request per CONTENTS_PER_REQUEST: each report's content,
        or its own error (ReportContentMissing, ReportContentUnreadable), so one broken report
        never stops the others. An outage raises IntakeUnavailable for them all."""
        chunks = [
            report_ids[i : i + CONTENTS_PER_REQUEST]
            for i in range(0, len(report_ids), CONTENTS_PER_REQUEST)
        ]
        found: dict[str, dict[str, Any] | Exception] = {}
        for answer in await asyncio.gather(*(self._contents(chunk) for chunk in chunks)):
            found.update(answer)
        return found

    async def _contents(self, report_ids: list[str]) -> dict[str, dict[str, Any] | Exception]:
        async with self._in_flight:
            response = await self.http.post(
                "/internal/v1/reports/contents", json={"report_ids": report_ids}
            )
        if response.status_code in (404, 405):
            # An intake from before the batch read (a rolling deploy): one read per report.
            return dict(
                zip(
                    report_ids,
                    await asyncio.gather(*(self._one(report_id) for report_id in report_ids)),
                    strict=True,
                )
            )
        if response.status_code in (401, 403) or response.status_code >= 500:
            raise IntakeUnavailable(f"intake answered {response.status_code}")
        response.raise_for_status()
        found: dict[str, dict[str, Any] | Exception] = {}
        for report in response.json()["reports"]:
            report_id, outcome = report["report_id"], report["outcome"]
            if outcome == "found":
                found[report_id] = report["content"]
            elif outcome == "does_not_open":
                found[report_id] = ReportContentUnreadable(report_id)
            else:
                found[report_id] = ReportContentMissing(report_id)
        for report_id in report_ids:  # never asked about: as good as unknown
            found.setdefault(report_id, ReportContentMissing(report_id))
        return found

    async def _one(self, report_id: str) -> dict[str, Any] | Exception:
        try:
            return await self.content(report_id)
        except (ReportContentMissing, ReportContentUnreadable) as exc:
            return exc

    async def close(self) -> None:
        await self.http.aclose()


def _error_of(response: httpx.Response) -> str | None:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return None
    return detail.get("error") if isinstance(detail, dict) else None
