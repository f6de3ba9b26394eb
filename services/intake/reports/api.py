"""Reports over HTTP: every channel submits here; staff and the classifier read, audited."""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse

from services.common.access import stated_purpose
from services.common.auth import out_of_scope
from services.intake.deps import ContentReader, ReadReportDep, Settings, Submit
from services.intake.reports.domain import KeyUsedForAnotherReport, ReportAccepted, ReportIn
from services.intake.reports.reads import NoSuchReport, OutOfScope

ReportPart = Literal["content", "contact"]
STAFF_HEADERS = {"Cache-Control": "no-store"}

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        # Header values lose surrounding spaces in transit: a key must not rely on them.
        pattern=r"^\S(.*\S)?$",
        description="A unique value per report, so that a channel's retry returns the first "
        "answer instead of making a second report.",
    ),
]

router = APIRouter()


@router.post(
    "/v1/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportAccepted,
    tags=["reports"],
    summary="Submit a report",
    responses={422: {"description": "A field is missing or invalid; the body names it"}},
)
async def submit_report(
    report: ReportIn,
    response: Response,
    submit: Submit,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    # The answer holds the tracking code: no cache anywhere may keep it.
    response.headers["Cache-Control"] = "no-store"
    answer = await submit(report, idempotency_key)
    if isinstance(answer, KeyUsedForAnotherReport):
        return JSONResponse(
            status_code=422,
            content={"detail": [{"field": answer.field, "reason": answer.reason}]},
        )
    return answer


@router.get("/internal/v1/reports/{report_id}/content", include_in_schema=False)
async def report_content(
    report_id: str, request: Request, settings: Settings, read: ReadReportDep
) -> dict[str, Any]:
    """For the classifier only: what was reported, never who reported it. Audited."""
    presented = request.headers.get("authorization", "").removeprefix("Bearer ")
    expected = settings.internal_api_token.get_secret_value()
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="a valid service token is required")
    try:
        return await read.for_classifier(report_id)
    except NoSuchReport:
        raise HTTPException(status_code=404, detail="no such report") from None


@router.get(
    "/v1/staff/reports/{report_id}",
    tags=["staff"],
    summary="Read a report's content (and contact) — audited, with a stated purpose",
    responses={
        401: {"description": "No valid token"},
        403: {"description": "Wrong role, or the report is outside your scope"},
        422: {"description": "No stated purpose (X-Access-Purpose)"},
        503: {"description": "The read could not be audited, so it was refused"},
    },
)
async def read_report(
    report_id: str,
    response: Response,
    principal: ContentReader,
    purpose: Annotated[str, Depends(stated_purpose)],
    read: ReadReportDep,
    part: Annotated[list[ReportPart], Query(description="Which parts to open")] = [  # noqa: B006
        "content"
    ],
) -> dict[str, Any]:
    response.headers.update(STAFF_HEADERS)
    try:
        return await read.for_staff(principal, report_id, sorted(set(part)), purpose)
    except NoSuchReport:
        raise HTTPException(status_code=404, detail="no such report") from None
    except OutOfScope:
        raise out_of_scope() from None
