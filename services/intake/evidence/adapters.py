"""Evidence files at rest: sealed in chunks, one data key per file, never whole in memory.

`evidence_files` holds one document per file: its report, sealed name, detected type, size,
chunk count, wrapped data key and whether it is complete. `evidence_chunks` holds the sealed
chunks, `_id = "<file id>:<index>"`, read back one by one by `_id` (no sorted queries: the
embedded MongoDB-protocol server answers those by scanning).

A file is written as incomplete first and marked complete only after its last chunk is stored,
so an upload cut off halfway never looks whole; `EvidenceStore.remove_abandoned` deletes what
such uploads left behind.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prometheus_client import Counter
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.common import tracking_code
from services.common.crypto import FILE_CHUNK_BYTES, DataKey, Keyring
from services.common.events import utcnow
from services.intake.evidence.domain import (
    SNIFF_BYTES,
    EvidenceRefused,
    EvidenceType,
    Handling,
    JpegFilter,
    MetadataReport,
    PassThrough,
    PngFilter,
    Rechunker,
    declared_type_agrees,
    sniff,
    strip_pdf,
    strip_zip_document,
)

log = logging.getLogger(__name__)

FILES_STORED = Counter("tipline_evidence_files_total", "Evidence files stored", ["kind"])
FILES_REFUSED = Counter("tipline_evidence_refused_total", "Evidence uploads refused", ["reason"])

# How much of a whole-document zip may unpack to, as a multiple of the document limit.
UNPACK_FACTOR = 10


@dataclass(frozen=True)
class EvidenceLimits:
    max_file_bytes: int
    max_report_bytes: int
    max_files_per_report: int
    max_document_bytes: int  # PDF and office documents are processed whole, in memory


class TooLarge(Exception):
    """The upload is over a size limit (413); `reason` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooMany(EvidenceRefused):
    """The report already has as many files as it may have."""


@dataclass(frozen=True)
class StoredEvidence:
    file_id: str
    report_id: str
    type: str
    kind: str
    size: int
    metadata_removed: list[str]
    metadata_kept: list[str]
    note: str


def file_field(file_id: str) -> str:
    return f"file:{file_id}"


def name_field(file_id: str) -> str:
    return f"file-name:{file_id}"


def chunk_id(file_id: str, index: int) -> str:
    return f"{file_id}:{index}"


class EvidenceStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], keyring: Keyring) -> None:
        self.reports = db["reports"]
        self.files = db["evidence_files"]
        self.chunks = db["evidence_chunks"]
        self.quotas = db["evidence_quotas"]
        self.keyring = keyring

    async def create_indexes(self) -> None:
        await self.reports.create_index([("tracking_code_hash", ASCENDING)])
        await self.files.create_index([("report_id", ASCENDING)])
        await self.files.create_index([("complete", ASCENDING), ("started_at", ASCENDING)])
        await self.chunks.create_index([("file_id", ASCENDING)])

    # -- the reporter's side ------------------------------------------------------------------

    async def report_for_code(self, code: str, secret: bytes) -> str | None:
        """The report id a tracking code opens, checked exactly as the tracker checks it."""
        normalized = tracking_code.normalize(code)
        if normalized is None:
            return None
        found = await self.reports.find_one(
            {"tracking_code_hash": tracking_code.lookup_hash(normalized, secret)}, {"_id": 1}
        )
        return None if found is None else str(found["_id"])

    async def attach(
        self,
        report_id: str,
        chunks: AsyncIterator[bytes],
        limits: EvidenceLimits,
        *,
        declared_type: str | None = None,
        filename: str | None = None,
    ) -> StoredEvidence:
        """Checks, strips, seals and stores one file read from `chunks`.

        Raises EvidenceRefused (422), TooLarge (413) or TooMany (422); whatever was stored of
        a refused or interrupted upload is removed before the exception leaves."""
        quota = await self._reserve_file(report_id, limits.max_files_per_report)
        if quota is None:
            FILES_REFUSED.labels("count").inc()
            raise TooMany(f"a report can have at most {limits.max_files_per_report} files")
        room = limits.max_report_bytes - int(quota["bytes"])
        budget = min(limits.max_file_bytes, room)
        budget_reason = (
            f"a file can be at most {limits.max_file_bytes} bytes"
            if limits.max_file_bytes <= room
            else f"the files of one report can be at most {limits.max_report_bytes} bytes "
            f"together; {max(room, 0)} bytes are left"
        )

        file_id = str(uuid.uuid4())
        data_key, wrapped = self.keyring.new_data_key(report_id)
        document: dict[str, Any] = {
            "_id": file_id,
            "report_id": report_id,
            "data_key": wrapped,
            "complete": False,
            "started_at": utcnow(),
        }
        if filename:
            document["name"] = data_key.seal(name_field(file_id), filename.encode())
        try:
            await self.files.insert_one(document)
        except BaseException:
            await asyncio.shield(self._release(report_id, files=1))
            raise
        try:
            stored = await self._store(
                file_id, data_key, chunks, limits, budget, budget_reason, declared_type
            )
        except BaseException as exc:
            # Shielded: a cancelled request (the reporter went away) still cleans up.
            await asyncio.shield(self.remove(report_id, file_id))
            if isinstance(exc, TooLarge):
                FILES_REFUSED.labels("size").inc()
            elif isinstance(exc, EvidenceRefused):
                FILES_REFUSED.labels("content").inc()
            raise
        FILES_STORED.labels(stored.kind).inc()
        log.info("evidence file stored", extra={"report_id": report_id, "count": 1})
        return stored

    async def _store(
        self,
        file_id: str,
        data_key: DataKey,
        chunks: AsyncIterator[bytes],
        limits: EvidenceLimits,
        budget: int,
        budget_reason: str,
        declared_type: str | None,
    ) -> StoredEvidence:
        received = 0

        async def counted() -> AsyncIterator[bytes]:
            nonlocal received
            async for piece in chunks:
                received += len(piece)
                if received > budget:
                    raise TooLarge(budget_reason)
                yield piece

        incoming = counted()
        head = bytearray()
        async for piece in incoming:
            head += piece
            if len(head) >= SNIFF_BYTES:
                break
        evidence_type = sniff(bytes(head))
        if not declared_type_agrees(declared_type, evidence_type):
            raise EvidenceRefused(
                f"the declared Content-Type does not match the content, which is "
                f"{evidence_type.mime}"
            )
        report = MetadataReport()
        mime = evidence_type.mime
        writer = _ChunkWriter(self.chunks, file_id, data_key)
        if evidence_type.handling in (Handling.PDF, Handling.ZIP_DOCUMENT):
            whole = await _read_whole(bytes(head), incoming, limits.max_document_bytes)
            # Rewriting is CPU work: in a thread, so other requests are not held up meanwhile.
            if evidence_type.handling is Handling.PDF:
                cleaned = await asyncio.to_thread(strip_pdf, whole, report)
            else:
                cleaned, mime = await asyncio.to_thread(
                    strip_zip_document, whole, report, limits.max_document_bytes * UNPACK_FACTOR
                )
            del whole
            await writer.write(cleaned)
        else:
            stream_filter = _stream_filter(evidence_type, report)
            await writer.write(stream_filter.feed(bytes(head)))
            async for piece in incoming:
                await writer.write(stream_filter.feed(piece))
            await writer.write(stream_filter.finish())
        count, size = await writer.finish()
        report_id = data_key.owner
        if not await self._reserve_bytes(report_id, size, limits.max_report_bytes):
            raise TooLarge(
                f"the files of one report can be at most {limits.max_report_bytes} bytes together"
            )
        result = await self.files.update_one(
            {"_id": file_id, "complete": False},
            {
                "$set": {
                    "complete": True,
                    "completed_at": utcnow(),
                    "type": mime,
                    "kind": evidence_type.kind,
                    "size": size,
                    "chunk_count": count,
                    "metadata_removed": report.removed,
                }
            },
        )
        if result.modified_count != 1:  # removed meanwhile as abandoned: not stored after all
            await self._release(report_id, size=size)
            raise EvidenceRefused("the upload took too long; please try again")
        return StoredEvidence(
            file_id=file_id,
            report_id=data_key.owner,
            type=mime,
            kind=evidence_type.kind,
            size=size,
            metadata_removed=report.removed,
            metadata_kept=report.kept,
            note=report.note(),
        )

    async def remove(self, report_id: str, file_id: str) -> bool:
        """Removes an incomplete file and gives its place back to the report's quota."""
        if await self.files.count_documents({"_id": file_id, "complete": False}) == 0:
            return False
        # Chunks first: a crash in between leaves the incomplete file for the sweep to find,
        # never chunks that no file names.
        await self.chunks.delete_many({"file_id": file_id})
        deleted = await self.files.delete_one({"_id": file_id, "complete": False})
        if deleted.deleted_count:
            await self._release(report_id, files=1)
        return bool(deleted.deleted_count)

    async def remove_abandoned(self, older_than: timedelta) -> int:
        """Deletes uploads that never completed (the process stopped, the client vanished)."""
        stale = await self.files.find(
            {"complete": False, "started_at": {"$lt": utcnow() - older_than}},
            {"_id": 1, "report_id": 1},
        ).to_list(1000)
        removed = 0
        for doc in stale:
            removed += await self.remove(str(doc["report_id"]), str(doc["_id"]))
        return removed

    # The report's quota: one document per report whose conditional increments are the single
    # point where concurrent uploads to one report are ordered, so none can overshoot a limit.
    async def _reserve_file(self, report_id: str, max_files: int) -> dict[str, Any] | None:
        await self.quotas.update_one(
            {"_id": report_id}, {"$setOnInsert": {"files": 0, "bytes": 0}}, upsert=True
        )
        return await self.quotas.find_one_and_update(
            {"_id": report_id, "files": {"$lt": max_files}}, {"$inc": {"files": 1}}
        )

    async def _reserve_bytes(self, report_id: str, size: int, max_bytes: int) -> bool:
        result = await self.quotas.update_one(
            {"_id": report_id, "bytes": {"$lte": max_bytes - size}}, {"$inc": {"bytes": size}}
        )
        return result.modified_count == 1

    async def _release(self, report_id: str, files: int = 0, size: int = 0) -> None:
        await self.quotas.update_one(
            {"_id": report_id}, {"$inc": {"files": -files, "bytes": -size}}
        )

    # -- the staff side -----------------------------------------------------------------------

    async def report_scope(self, report_id: str) -> dict[str, Any] | None:
        """The report's routing scope (province, team), {} if none yet, None if no report."""
        found = await self.reports.find_one({"_id": report_id}, {"scope": 1})
        return None if found is None else dict(found.get("scope") or {})

    async def list_files(self, report_id: str) -> list[dict[str, Any]]:
        return await self.files.find(
            {"report_id": report_id, "complete": True},
            {"type": 1, "kind": 1, "size": 1, "completed_at": 1, "metadata_removed": 1},
        ).to_list(None)

    async def file(self, report_id: str, file_id: str) -> dict[str, Any] | None:
        return await self.files.find_one({"_id": file_id, "report_id": report_id, "complete": True})

    def open_key(self, file_document: dict[str, Any]) -> DataKey:
        return self.keyring.open_data_key(file_document["data_key"], file_document["report_id"])

    def file_name(self, file_document: dict[str, Any], data_key: DataKey) -> str | None:
        sealed = file_document.get("name")
        if sealed is None:
            return None
        return data_key.open(name_field(file_document["_id"]), sealed).decode()

    async def read(self, file_document: dict[str, Any], data_key: DataKey) -> AsyncIterator[bytes]:
        """The decrypted file, one chunk at a time; each chunk is checked (position, end)."""
        file_id, count = file_document["_id"], int(file_document["chunk_count"])
        for index in range(count):
            chunk = await self.chunks.find_one({"_id": chunk_id(file_id, index)})
            if chunk is None:
                raise LookupError("an evidence chunk is missing")
            yield data_key.open_chunk(file_field(file_id), index, index == count - 1, chunk["data"])


class _ChunkWriter:
    """Seals and stores fixed-size chunks as the cleaned bytes arrive."""

    def __init__(self, chunks: Any, file_id: str, data_key: DataKey) -> None:
        self.chunks = chunks
        self.file_id = file_id
        self.data_key = data_key
        self.rechunker = Rechunker(FILE_CHUNK_BYTES)
        self.index = 0
        self.size = 0

    async def write(self, data: bytes) -> None:
        for chunk in self.rechunker.feed(data):
            await self._insert(chunk, last=False)

    async def finish(self) -> tuple[int, int]:
        await self._insert(self.rechunker.rest(), last=True)
        return self.index, self.size

    async def _insert(self, chunk: bytes, *, last: bool) -> None:
        sealed = self.data_key.seal_chunk(file_field(self.file_id), self.index, last, chunk)
        await self.chunks.insert_one(
            {"_id": chunk_id(self.file_id, self.index), "file_id": self.file_id, "data": sealed}
        )
        self.index += 1
        self.size += len(chunk)


def _stream_filter(
    evidence_type: EvidenceType, report: MetadataReport
) -> JpegFilter | PngFilter | PassThrough:
    if evidence_type.handling is Handling.JPEG:
        return JpegFilter(report)
    if evidence_type.handling is Handling.PNG:
        return PngFilter(report)
    return PassThrough(report, evidence_type)


async def _read_whole(head: bytes, rest: AsyncIterator[bytes], limit: int) -> bytes:
    whole = bytearray(head)
    if len(whole) > limit:
        raise TooLarge(f"PDF and office documents can be at most {limit} bytes")
    async for piece in rest:
        whole += piece
        if len(whole) > limit:
            raise TooLarge(f"PDF and office documents can be at most {limit} bytes")
    return bytes(whole)
