"""The reporter's JSON API: `/v1/track/{code}` shows every stage in plain Chinese and English
with the questions asked; `POST /v1/track/{code}/messages` answers a question or adds
information."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from services.tracker import workflow
from services.tracker.deps import CodeLookupDep, TrackerDep
from services.tracker.domain import NotFound, PublicStatus
from services.tracker.errors import PRIVATE_HEADERS, unknown_code

router = APIRouter(tags=["tracking"])


class ReporterMessage(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    in_reply_to: str | None = Field(
        default=None, description="The id of the question this answers; omit to add information."
    )


class MessageAccepted(BaseModel):
    id: str
    at: datetime


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


# Before the `{code:path}` route, so a 405 on this path names POST.
@router.post(
    "/v1/track/{code}/messages",
    status_code=201,
    response_model=MessageAccepted,
    responses={
        404: {"model": NotFound, "description": "Unknown or mistyped code"},
        409: {"description": "The case is concluded and takes no more messages"},
    },
    summary="Answer a question from investigators, or add information",
)
async def reporter_message(
    code: str,
    body: ReporterMessage,
    request: Request,
    tracker: TrackerDep,
    lookup: CodeLookupDep,
) -> Any:
    found = await lookup.find(code, client_address(request))
    if found is None:
        return unknown_code()
    accepted = await workflow.add_reporter_message(
        tracker, found["_id"], body.text, body.in_reply_to
    )
    return MessageAccepted(id=accepted.id, at=accepted.at)


@router.get(
    # `path`, so a code with a slash or a trailing slash still gets the same 404 below.
    "/v1/track/{code:path}",
    response_model=PublicStatus,
    responses={404: {"model": NotFound, "description": "Unknown or mistyped code"}},
    summary="Every stage of a report so far, the questions asked and the answers given",
)
async def track(
    code: str, request: Request, response: Response, tracker: TrackerDep, lookup: CodeLookupDep
) -> Any:
    case = await lookup.find(code, client_address(request))
    if case is None:
        return unknown_code()
    response.headers.update(PRIVATE_HEADERS)
    return await workflow.reporter_status(tracker, case)
