"""Evidence files over HTTP: reporters upload with their tracking code; staff download, audited.

The upload body is the raw file, read as it streams (`request.stream()`), never spooled to a
temporary file the way Starlette's UploadFile would: plaintext never touches the disk.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from services.common.access import record_access, stated_purpose
from services.common.auth import Principal, out_of_scope
from services.common.crypto import KeyringError
from services.common.limits import too_many_guesses
from services.common.throttle import TooManyGuesses
from services.intake.deps import ContentReader, EvidenceStoreDep, Producer, Uploads
from services.intake.evidence.adapters import EvidenceStore, TooLarge, file_field, name_field
from services.intake.evidence.domain import EvidenceRefused
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


def problem(status_code: int, field: str, reason: str) -> JSONResponse:
    return JSONResponse(
        status_code=status_code,
        content={"detail": [{"field": field, "reason": reason}]},
        headers=PRIVATE_HEADERS,
    )


router = APIRouter()


@router.post(
    "/v1/evidence",
    status_code=status.HTTP_201_CREATED,
    response_model=EvidenceAccepted,
    tags=["evidence"],
    summary="Attach a file to a report",
    description="The body is the file itself. Send the tracking code in `X-Tracking-Code` "
    "(never in the address) and, if you wish, the file's name in `X-Filename` "
    "(percent-encoded UTF-8; it is stored encrypted; past 255 characters only the end is kept).",
    responses={
        404: {"description": "No report matches this tracking code"},
        413: {"description": "The file, or the report's files together, are too large"},
        429: {"description": "Too many unknown codes from this client lately (Retry-After)"},
        422: {"description": "Type not accepted, damaged file, or too many files"},
    },
)
async def upload_evidence(
    request: Request,
    uploads: Uploads,
    code: Annotated[str, Header(alias="X-Tracking-Code", max_length=64)],
    filename: Annotated[str | None, Header(alias="X-Filename", max_length=1024)] = None,
    content_type: Annotated[str | None, Header(alias="Content-Type")] = None,
) -> Any:
    limits = uploads.limits
    declared_length = request.headers.get("content-length")
    if declared_length and declared_length.isdigit():
        if int(declared_length) > limits.max_file_bytes:
            return problem(413, "body", f"a file can be at most {limits.max_file_bytes} bytes")
    try:
        name = unquote(filename, errors="strict") if filename else None
    except UnicodeDecodeError:
        return problem(422, "X-Filename", "must be percent-encoded UTF-8")
    # As the web form does: a longer name keeps its end (the extension); an empty one is none.
    if name is not None:
        name = name[-MAX_FILENAME_CHARS:] or None
    try:
        report_id = await uploads.report_for(request.client.host if request.client else None, code)
    except TooManyGuesses as exc:
        return too_many_guesses(exc, PRIVATE_HEADERS)
    if report_id is None:
        # The same answer the tracker gives for any unknown or mistyped code.
        return JSONResponse(
            status_code=404, content=NOT_FOUND.model_dump(), headers=PRIVATE_HEADERS
        )
    try:
        stored = await uploads.attach(
            report_id, request.stream(), declared_type=content_type, filename=name
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


async def in_scope(store: EvidenceStore, principal: Principal, report_id: str) -> None:
    scope = await store.report_scope(report_id)
    # An investigator learns nothing about a report outside their scope, not even that it
    # exists; a report not yet routed has no scope, so only supervisors see it then.
    if not principal.may_see((scope or {}).get("province"), (scope or {}).get("team")):
        raise out_of_scope()
    if scope is None:
        raise _no_such_report()


@router.get(
    "/v1/staff/reports/{report_id}/evidence",
    response_model=list[EvidenceListed],
    tags=["staff"],
    summary="The files attached to a report (no names, no content)",
)
async def list_evidence(report_id: str, store: EvidenceStoreDep, principal: ContentReader) -> Any:
    await in_scope(store, principal, report_id)
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
    store: EvidenceStoreDep,
    producer: Producer,
    principal: ContentReader,
    purpose: Annotated[str, Depends(stated_purpose)],
) -> Any:
    await in_scope(store, principal, report_id)
    document = await store.file(report_id, file_id)
    if document is None:
        raise _no_such_report("no such file in this report")
    fields = [file_field(file_id)] + ([name_field(file_id)] if "name" in document else [])
    # Recorded (and acknowledged by Kafka) before anything is decrypted, or refused (503).
    await record_access(
        producer,
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
