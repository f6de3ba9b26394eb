"""Evidence files over HTTP: reporters upload with their tracking code; staff download, audited.

The upload body is the raw file, read as it streams (`request.stream()`), never spooled to a
temporary file the way Starlette's UploadFile would: plaintext never touches the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from services.common.access import record_access, stated_purpose
from services.common.auth import CONTENT_READERS, Principal, StaffAuth, out_of_scope
from services.common.crypto import KeyringError
from services.common.settings import EvidenceSettings, IntakeSettings
from services.common.throttle import FailureThrottle
from services.intake.evidence.domain import EvidenceRefused
from services.intake.evidence.adapters import (
    EvidenceLimits,
    EvidenceStore,
    StoredEvidence,
    TooLarge,
    file_field,
    name_field,
)
from services.tracker.domain import NOT_FOUND

log = logging.getLogger(__name__)

SOURCE = "tipline/intake"
# The answer to a reporter names no file and holds no code, but it must not be cached either.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
MAX_FILENAME_CHARS = 255


class EvidenceAccepted(BaseModel):
    file_id: str
    type: str = Field(description="The type found in the content, e.g. image/jpeg")
    size: int = Field(description="Bytes stored, after hidden information was removed")
    metadata_removed: list[str]
    metadata_kept: list[str]
    note: str = Field(description="What was removed and what could not be, for the reporter")


class EvidenceListed(BaseModel):
    file_id: str
    type: str
    kind: str
    size: int
    stored_at: datetime
    metadata_removed: list[str]


def limits_from(settings: EvidenceSettings) -> EvidenceLimits:
    return EvidenceLimits(
        max_file_bytes=settings.evidence_max_file_bytes,
        max_report_bytes=settings.evidence_max_report_bytes,
        max_files_per_report=settings.evidence_max_files_per_report,
        max_document_bytes=settings.evidence_max_document_bytes,
    )


def problem(status_code: int, field: str, reason: str) -> JSONResponse:
    return JSONResponse(
        status_code=status_code,
        content={"detail": [{"field": field, "reason": reason}]},
        headers=PRIVATE_HEADERS,
    )


async def content_reader(request: Request) -> Principal:
    auth: StaffAuth = request.app.state.staff_auth
    return await auth.require(*CONTENT_READERS)(request)


async def sweep_abandoned(store: EvidenceStore, older_than: timedelta) -> None:
    while True:
        try:
            removed = await store.remove_abandoned(older_than)
            if removed:
                log.info("abandoned evidence uploads removed", extra={"count": removed})
        except Exception as exc:
            log.warning("evidence sweep failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(min(older_than.total_seconds(), 600))


class ReporterUploads:
    """The reporter's side of an upload, shared by the JSON API and the web form, one per
    intake process: the same limits, and the same throttle on failed code lookups (a guess
    through either is counted against the same client)."""

    def __init__(self, settings: IntakeSettings) -> None:
        self.secret = settings.tracking_code_secret.get_secret_value().encode()
        self.limits = limits_from(settings)
        # The upload is a tracking-code lookup too: guesses here are slowed as on the tracker.
        self.throttle = FailureThrottle(
            free_failures=settings.lookup_free_failures,
            window_seconds=settings.lookup_window_seconds,
            max_delay=settings.lookup_max_delay_seconds,
        )

    async def report_for(self, request: Request, code: str) -> str | None:
        """The report a tracking code opens, or None (an unknown or mistyped code)."""
        store: EvidenceStore = request.app.state.evidence
        client = self.throttle.client(request.client.host if request.client else None)
        # Before the lookup, whatever its outcome: the wait says nothing about the code.
        delay = self.throttle.delay_for(client)
        if delay:
            await asyncio.sleep(delay)
        report_id = await store.report_for_code(code, self.secret)
        if report_id is None:
            self.throttle.failed(client)
        return report_id

    async def attach(
        self,
        request: Request,
        report_id: str,
        chunks: AsyncIterator[bytes],
        *,
        declared_type: str | None,
        filename: str | None,
    ) -> StoredEvidence:
        """Stores one file; raises TooLarge (413), TooMany or EvidenceRefused (422)."""
        store: EvidenceStore = request.app.state.evidence
        return await store.attach(
            report_id, chunks, self.limits, declared_type=declared_type, filename=filename
        )


def evidence_router(settings: IntakeSettings, uploads: ReporterUploads) -> APIRouter:
    limits = uploads.limits
    router = APIRouter()

    @router.post(
        "/v1/evidence",
        status_code=status.HTTP_201_CREATED,
        response_model=EvidenceAccepted,
        tags=["evidence"],
        summary="Attach a file to a report",
        description="The body is the file itself. Send the tracking code in `X-Tracking-Code` "
        "(never in the address) and, if you wish, the file's name in `X-Filename` "
        "(percent-encoded UTF-8; it is stored encrypted).",
        responses={
            404: {"description": "No report matches this tracking code"},
            413: {"description": "The file, or the report's files together, are too large"},
            422: {"description": "Type not accepted, damaged file, or too many files"},
        },
    )
    async def upload_evidence(
        request: Request,
        code: Annotated[str, Header(alias="X-Tracking-Code", max_length=64)],
        filename: Annotated[str | None, Header(alias="X-Filename", max_length=1024)] = None,
        content_type: Annotated[str | None, Header(alias="Content-Type")] = None,
    ) -> Any:
        declared_length = request.headers.get("content-length")
        if declared_length and declared_length.isdigit():
            if int(declared_length) > limits.max_file_bytes:
                return problem(413, "body", f"a file can be at most {limits.max_file_bytes} bytes")
        try:
            name = unquote(filename, errors="strict") if filename else None
        except UnicodeDecodeError:
            return problem(422, "X-Filename", "must be percent-encoded UTF-8")
        if name is not None and not 0 < len(name) <= MAX_FILENAME_CHARS:
            return problem(422, "X-Filename", f"1 to {MAX_FILENAME_CHARS} characters")
        report_id = await uploads.report_for(request, code)
        if report_id is None:
            # The same answer the tracker gives for any unknown or mistyped code.
            return JSONResponse(
                status_code=404, content=NOT_FOUND.model_dump(), headers=PRIVATE_HEADERS
            )
        try:
            stored = await uploads.attach(
                request, report_id, request.stream(), declared_type=content_type, filename=name
            )
        except TooLarge as exc:
            return problem(413, "body", exc.reason)
        except EvidenceRefused as exc:
            return problem(422, "body", exc.reason)
        except ClientDisconnect:
            log.info("evidence upload cut off by the client", extra={"report_id": report_id})
            return problem(400, "body", "the upload was interrupted; nothing was kept")
        answer = EvidenceAccepted(
            file_id=stored.file_id,
            type=stored.type,
            size=stored.size,
            metadata_removed=stored.metadata_removed,
            metadata_kept=stored.metadata_kept,
            note=stored.note,
        )
        return JSONResponse(
            status_code=201, content=answer.model_dump(mode="json"), headers=PRIVATE_HEADERS
        )

    async def in_scope(request: Request, principal: Principal, report_id: str) -> EvidenceStore:
        store: EvidenceStore = request.app.state.evidence
        scope = await store.report_scope(report_id)
        # An investigator learns nothing about a report outside their scope, not even that it
        # exists; a report not yet routed has no scope, so only supervisors see it then.
        if not principal.may_see((scope or {}).get("province"), (scope or {}).get("team")):
            raise out_of_scope()
        if scope is None:
            raise _no_such_report()
        return store

    @router.get(
        "/v1/staff/reports/{report_id}/evidence",
        response_model=list[EvidenceListed],
        tags=["staff"],
        summary="The files attached to a report (no names, no content)",
    )
    async def list_evidence(
        report_id: str, request: Request, principal: Annotated[Principal, Depends(content_reader)]
    ) -> Any:
        store = await in_scope(request, principal, report_id)
        return [
            EvidenceListed(
                file_id=doc["_id"],
                type=doc["type"],
                kind=doc["kind"],
                size=doc["size"],
                stored_at=doc["completed_at"],
                metadata_removed=doc.get("metadata_removed", []),
            )
            for doc in await store.list_files(report_id)
        ]

    @router.get(
        "/v1/staff/reports/{report_id}/evidence/{file_id}",
        tags=["staff"],
        summary="Download one file, decrypted; the read is recorded in the audit log first",
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    async def download_evidence(
        report_id: str,
        file_id: str,
        request: Request,
        principal: Annotated[Principal, Depends(content_reader)],
        purpose: Annotated[str, Depends(stated_purpose)],
    ) -> Any:
        store = await in_scope(request, principal, report_id)
        document = await store.file(report_id, file_id)
        if document is None:
            raise _no_such_report("no such file in this report")
        fields = [file_field(file_id)] + ([name_field(file_id)] if "name" in document else [])
        # Recorded (and acknowledged by Kafka) before anything is decrypted, or refused (503).
        await record_access(
            request.app.state.producer,
            source=SOURCE,
            principal=principal,
            report_id=report_id,
            fields=fields,
            purpose=purpose,
        )
        try:
            data_key = store.open_key(document)
            name = store.file_name(document, data_key) or file_id
            chunks = store.read(document, data_key)
            # The first chunk is opened before answering, so a file whose key or content was
            # tampered with or moved gets a clear error instead of a cut-off download.
            first = await anext(chunks)
        except (KeyringError, LookupError, StopAsyncIteration) as exc:
            log.error(
                "evidence file does not open",
                extra={"report_id": report_id, "error": type(exc).__name__},
            )
            return JSONResponse(
                status_code=500,
                content={
                    "error": "cannot_open",
                    "reason": "this file does not open with its key; it may have been "
                    "tampered with. The incident is logged.",
                },
                headers=PRIVATE_HEADERS,
            )
        headers = {
            **PRIVATE_HEADERS,
            "Content-Length": str(document["size"]),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "X-Content-Type-Options": "nosniff",
        }
        return StreamingResponse(
            _logged(first, chunks, report_id), media_type=document["type"], headers=headers
        )

    return router


async def _logged(
    first: bytes, chunks: AsyncIterator[bytes], report_id: str
) -> AsyncIterator[bytes]:
    """A later chunk that does not open (tampered, lost) ends the download short (the client
    sees fewer bytes than Content-Length), and the log says so."""
    try:
        yield first
        async for chunk in chunks:
            yield chunk
    except Exception as exc:
        log.error(
            "evidence file could not be read whole",
            extra={"report_id": report_id, "error": type(exc).__name__},
        )
        raise
    finally:
        with contextlib.suppress(Exception):
            await chunks.aclose()  # type: ignore[attr-defined]


def _no_such_report(reason: str = "no such report") -> HTTPException:
    return HTTPException(status_code=404, detail={"error": "not_found", "reason": reason})
