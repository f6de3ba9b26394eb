"""The HTTP answers to the use cases' refusals: status codes and bodies as the API documents."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response

from services.common.auth import out_of_scope
from services.common.limits import too_many_guesses
from services.common.throttle import TooManyGuesses
from services.tracker.domain import NOT_FOUND, IllegalTransition
from services.tracker.workflow import (
    CaseFinished,
    CaseNotFound,
    ChangedMeanwhile,
    InvalidField,
    OutOfScope,
    TooManyMessages,
)

# The URL holds the code: never cache it, never send it on as a referrer.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def unknown_code() -> JSONResponse:
    return JSONResponse(status_code=404, content=NOT_FOUND.model_dump(), headers=PRIVATE_HEADERS)


def as_http(error: Exception) -> HTTPException:
    """The staff API's answer to a refusal."""
    if isinstance(error, IllegalTransition):
        return HTTPException(
            status_code=409,
            detail={
                "error": "illegal_transition",
                "reason": str(error),
                "current": error.current.value,
                "requested": error.target.value,
                "allowed": [s.value for s in error.allowed],
            },
        )
    if isinstance(error, InvalidField):
        return HTTPException(
            status_code=422, detail=[{"field": error.field, "reason": error.reason}]
        )
    if isinstance(error, CaseNotFound):
        return HTTPException(
            status_code=404, detail={"error": "not_found", "reason": "no such case"}
        )
    if isinstance(error, OutOfScope):
        return out_of_scope()
    if isinstance(error, ChangedMeanwhile):
        return HTTPException(
            status_code=409,
            detail={
                "error": "changed_meanwhile",
                "reason": "someone else moved this case just now; reload it and try again",
            },
        )
    raise TypeError(f"no HTTP answer for {type(error).__name__}")


def message_refused(error: CaseFinished | TooManyMessages) -> JSONResponse:
    """The reporter's answer when a case takes no more messages (it says what to do)."""
    if isinstance(error, CaseFinished):
        content = {
            "error": "case_finished",
            "reason": "this case is concluded and takes no more messages; "
            "to report something new, make a new report",
        }
    else:
        content = {
            "error": "too_many_messages",
            "reason": "this case holds as many messages as it can; make a new report "
            "for anything further",
        }
    return JSONResponse(status_code=409, content=content, headers=PRIVATE_HEADERS)


async def _refusal(request: Request, error: Exception) -> Response:
    if isinstance(error, CaseFinished | TooManyMessages):
        return message_refused(error)
    if isinstance(error, TooManyGuesses):
        return too_many_guesses(error, PRIVATE_HEADERS)
    return await http_exception_handler(request, as_http(error))


def install_error_answers(app: FastAPI) -> None:
    for refusal in (
        IllegalTransition,
        InvalidField,
        CaseNotFound,
        OutOfScope,
        ChangedMeanwhile,
        CaseFinished,
        TooManyMessages,
        TooManyGuesses,
    ):
        app.add_exception_handler(refusal, _refusal)
