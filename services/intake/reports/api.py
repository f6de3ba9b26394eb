"""Reports over HTTP: every channel submits here; staff and the classifier read, audited."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.common.access import stated_purpose
from services.common.auth import out_of_scope
from services.intake.deps import ContentReader, InternalCaller, ReadReportDep, Submit
from services.intake.reports.domain import KeyUsedForAnotherReport, ReportAccepted, ReportIn
from services.intake.reports.reads import MAX_CONTENTS_PER_READ, NoSuchReport, OutOfScope

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


@router.get(
    "/internal/v1/reports/{report_id}/content",
    include_in_schema=False,
    dependencies=[InternalCaller],
)
async def report_content(report_id: str, read: ReadReportDep) -> dict[str, Any]:
    """For the classifier only: what was reported, never who reported it. Audited."""
    try:
        return await read.for_classifier(report_id)
    except NoSuchReport:
        raise HTTPException(status_code=404, detail="no such report") from None


class ContentsAsked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report_ids: list[Annotated[str, Field(min_length=1, max_length=100)]]


@router.post(
    "/internal/v1/reports/contents",
    include_in_schema=False,
    dependencies=[InternalCaller],
)
async def report_contents(asked: ContentsAsked, read: ReadReportDep) -> dict[str, Any]:
    """For the classifier only: many reports' content in one read, each with its outcome
    ("found" with its content, "missing", or "does_not_open"). Audited per report."""
    if len(asked.report_ids) > MAX_CONTENTS_PER_READ:
        raise HTTPException(
            status_code=413,
            detail=[
                {
                    "field": "report_ids",
                    "reason": f"at most {MAX_CONTENTS_PER_READ} report ids in one request; "
                    "send the rest in another",
                }
            ],
        )
    return {"reports": await read.contents_for_classifier(asked.report_ids)}


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
