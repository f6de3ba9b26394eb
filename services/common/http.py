"""What every HTTP service shares: error shape, health, readiness and metrics endpoints."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.api_docs import install_api_docs
from services.common.error_docs import document_errors
from services.common.limits import limited_protocol
from services.common.logs import configure_logging
from services.common.settings import CommonSettings

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "tipline_http_requests_total", "HTTP requests", ["route", "method", "status"]
)
HTTP_LATENCY = Histogram("tipline_http_request_seconds", "HTTP request latency", ["route"])

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Each problem as the field and the reason, never echoing what was sent."""
    problems = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            problems.append({"field": "body", "reason": _json_problem(error, exc.body)})
            continue
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        problems.append({"field": ".".join(location) or "body", "reason": error.get("msg", "")})
    return problems


def _json_problem(error: Any, body: Any) -> str:
    """Where the body stops being JSON, and why, as the parser says it (never the body)."""
    location = error.get("loc", ())
    offset = location[-1] if location and isinstance(location[-1], int) else None
    why = str((error.get("ctx") or {}).get("error", "")).lower() or "unreadable"
    if offset is None:
        return f"the body is not valid JSON: {why}"
    where = f"character {offset}"
    if isinstance(body, str):  # the text the parser read (FastAPI keeps it on the error)
        before = body[:offset]
        line, column = before.count("\n") + 1, offset - before.rfind("\n")
        where = f"line {line}, column {column} (character {offset})"
    return f"the body is not valid JSON: {why} at {where}"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": field_errors(exc)})


# FastAPI's answer when the JSON parser raised something other than a decode error.
UNPARSED_BODY = "There was an error parsing the body"


def unreadable_body(cause: BaseException | None) -> str:
    """Why a body that is not a JSON decode error could not be read (never the body)."""
    if isinstance(cause, UnicodeDecodeError):
        return f"the body is not valid UTF-8 (at byte {cause.start})"
    if isinstance(cause, RecursionError):
        return "the body nests arrays or objects too deeply"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return f"a number in the body has too many digits (at most {sys.get_int_max_str_digits()})"
    return "the body could not be read as JSON"


async def _http_error(request: Request, exc: Exception) -> Response:
    """The 422 naming the body for what the JSON parser could not read (invalid UTF-8, deep
    nesting, a huge number), instead of FastAPI's bare 400; every other HTTPException as is."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == UNPARSED_BODY:
        problem = {"field": "body", "reason": unreadable_body(exc.__cause__)}
        return JSONResponse(status_code=422, content={"detail": [problem]})
    response = await http_exception_handler(request, exc)
    if exc.status_code == 405:
        # Every method the path takes, not only those of the first route that matched it.
        response.headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
    return response


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI documents for the paths matching `path`."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


class RequestMetrics:
    """Counts and times requests by route template, never by raw path (a path can hold a
    tracking code). Plain ASGI: Starlette's BaseHTTPMiddleware costs more than the work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(route, scope["method"], str(status)).inc()
            HTTP_LATENCY.labels(route).observe(time.perf_counter() - started)


def readiness_answer(
    checks: dict[str, bool], required: tuple[str, ...] | None = None
) -> tuple[int, dict[str, object]]:
    """/readyz's status code and body for these checks, for every service (the classifier's
    pages are served by faust, not FastAPI): 503 when a required check fails."""
    ready = all(ok for name, ok in checks.items() if required is None or name in required)
    state = "not ready" if not ready else "ready" if all(checks.values()) else "degraded"
    return (200 if ready else 503), {"status": state, "checks": checks}


def install_common(
    app: FastAPI, readiness: ReadinessCheck, required: tuple[str, ...] | None = None
) -> None:
    """Adds the error shape, /docs, and /healthz, /readyz, /metrics.

    `required` names the checks readiness depends on (all of them by default); the others are
    reported, and their failure shows as "degraded" without taking the service out of rotation.
    """

    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    document_errors(app)  # the OpenAPI's error answers are the ones sent
    install_api_docs(app)  # /docs from the service itself: FastAPI's loads from a CDN

    app.add_middleware(RequestMetrics)

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Broker and database are reachable")
    async def readyz() -> JSONResponse:
        status, body = readiness_answer(await readiness(), required)
        return JSONResponse(status_code=status, content=body)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def serve(service: str, settings: CommonSettings, app: FastAPI, port: int) -> None:
    """Runs one service's API with JSON logs and no access log (raw paths can hold codes)."""
    configure_logging(service, settings.log_level)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=port,
        access_log=False,
        log_config=None,
        # The request head's size and time and connections per client (services/common/limits.py).
        http=limited_protocol(settings),
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        limit_concurrency=settings.http_max_connections,
    )
