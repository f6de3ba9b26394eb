"""What one request and one client can make a server hold, refused before it is held.

Two layers (docs/limits.md):
- `RequestLimits`, plain ASGI: the body's size by route (413, from Content-Length before a byte
  is read, else counted as it streams), a body that stops arriving (408), and requests in
  flight per client (429 with Retry-After).
- `limited_protocol`, uvicorn's httptools protocol with three checks uvicorn does not make
  with httptools: the request head's size (431), a head that takes too long to arrive (408),
  and open connections per client (429 with Retry-After), all before the application sees
  the request.

A refused request gets the answer its caller reads: JSON naming the field and what to do for
the API, the reporter's page (in their language) for the site.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from prometheus_client import Counter as Metric
from pymongo.errors import ConnectionFailure
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.common.settings import CommonSettings
from services.common.throttle import TooManyGuesses

log = logging.getLogger(__name__)

REFUSED = Metric("tipline_http_refused_total", "Requests refused by a server limit", ["limit"])

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Paths that are API (JSON) answers; everything else a browser may have asked for.
API_PREFIXES = ("/v1/", "/internal/", "/openapi.json", "/docs", "/healthz", "/readyz", "/metrics")

# (request, status, problem, figures) -> the page, for the routes a browser posts to.
RefusalPage = Callable[[Request, int, str, Mapping[str, int]], Response]


def wants_page(scope: Scope) -> bool:
    return not str(scope.get("path", "")).startswith(API_PREFIXES)


@dataclass(frozen=True)
class BodyLimits:
    """The largest body each kind of route takes, in bytes."""

    json_bytes: int
    form_bytes: int
    streamed: Mapping[str, int] = field(default_factory=dict)  # path -> limit (file uploads)

    @classmethod
    def from_settings(
        cls, settings: CommonSettings, streamed: Mapping[str, int] | None = None
    ) -> BodyLimits:
        return cls(settings.http_max_json_bytes, settings.http_max_form_bytes, streamed or {})

    def for_request(self, path: str, content_type: str) -> int:
        if path in self.streamed:
            return self.streamed[path]
        if content_type.lower().startswith(FORM_TYPES):
            return self.form_bytes
        return self.json_bytes


def json_refusal(status: int, problem: str, figures: Mapping[str, int]) -> JSONResponse:
    """The API's answer: body problems name the field (`body`), the others say what to do."""
    headers = {"Retry-After": str(figures["seconds"])} if "seconds" in figures else {}
    if problem == "too_large":
        detail: Any = [
            {
                "field": "body",
                "reason": f"the body can be at most {figures['bytes']} bytes; nothing was read. "
                "Send less (a file goes to POST /v1/evidence, one file per request)",
            }
        ]
    elif problem == "body_timeout":
        detail = [
            {
                "field": "body",
                "reason": f"the body stopped arriving for {figures['seconds_idle']} s; "
                "nothing was kept. Send it again",
            }
        ]
    else:  # busy
        detail = {
            "error": "too_many_requests",
            "reason": f"at most {figures['limit']} requests at a time from one client; "
            f"retry after {figures['seconds']} s",
        }
    return JSONResponse(status_code=status, content={"detail": detail}, headers=headers)


class RequestLimits:
    """Body size per route, a body that stops arriving, and requests in flight per client."""

    def __init__(
        self,
        app: ASGIApp,
        bodies: BodyLimits,
        body_timeout_seconds: float,
        max_in_flight_per_client: int,
        page: RefusalPage | None = None,
    ) -> None:
        self.app = app
        self.bodies = bodies
        self.body_timeout = body_timeout_seconds
        self.max_in_flight = max_in_flight_per_client
        self.page = page
        self.in_flight: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else ""
        if self.in_flight[client] >= self.max_in_flight:
            await self.refuse(scope, send, 429, "busy", {"limit": self.max_in_flight, "seconds": 1})
            return
        headers = dict(scope["headers"])
        limit = self.bodies.for_request(scope["path"], headers.get(b"content-type", b"").decode())
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self.refuse(scope, send, 413, "too_large", {"bytes": limit, "kb": limit // 1024})
            return
        self.in_flight[client] += 1
        try:
            await _Guarded(self, scope, receive, send, limit).run()
        finally:
            self.in_flight[client] -= 1
            if self.in_flight[client] <= 0:
                del self.in_flight[client]

    async def refuse(
        self, scope: Scope, send: Send, status: int, problem: str, figures: Mapping[str, int]
    ) -> None:
        REFUSED.labels(problem).inc()
        if self.page is not None and wants_page(scope):
            response = self.page(Request(scope), status, problem, figures)
            if "seconds" in figures:
                response.headers["Retry-After"] = str(figures["seconds"])
        else:
            response = json_refusal(status, problem, figures)
        response.headers["Connection"] = "close"  # the rest of the body is not read

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)


class _Guarded:
    """One request whose body is counted and timed as the application reads it. When a limit
    is crossed the client gets the refusal, and the application sees the client leave."""

    def __init__(
        self, limits: RequestLimits, scope: Scope, receive: Receive, send: Send, limit: int
    ) -> None:
        self.limits, self.scope, self._receive, self._send = limits, scope, receive, send
        self.limit = limit
        self.received = 0
        self.body_done = scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE")
        self.started = False
        self.refused = False

    async def run(self) -> None:
        try:
            await self.limits.app(self.scope, self.receive, self.send)
        except Exception:
            if not self.refused:
                raise
            # The client already has its answer; the application saw it leave.

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        if self.body_done:
            return await self._receive()
        try:
            message = await asyncio.wait_for(self._receive(), self.limits.body_timeout)
        except TimeoutError:
            seconds = int(self.limits.body_timeout)
            return await self._refuse(408, "body_timeout", {"seconds_idle": seconds})
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                figures = {"bytes": self.limit, "kb": self.limit // 1024}
                return await self._refuse(413, "too_large", figures)
            self.body_done = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the client already has its answer
        self.started = True
        await self._send(message)

    async def _refuse(self, status: int, problem: str, figures: Mapping[str, int]) -> Message:
        if not self.started:
            self.refused = True
            await self.limits.refuse(self.scope, self._send, status, problem, figures)
        return {"type": "http.disconnect"}


def _raw_answer(status: int, reason: str, body: dict[str, Any], retry_after: int | None) -> bytes:
    content = json.dumps(body).encode()
    head = [
        f"HTTP/1.1 {status} {reason}",
        "content-type: application/json",
        f"content-length: {len(content)}",
        "connection: close",
    ]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + content


HEAD_TOO_LARGE = "head_too_large"


def limited_protocol(settings: CommonSettings) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, with the head's size and time and the connections per
    client bounded (uvicorn's `h11_max_incomplete_event_size` applies to h11 only)."""
    max_head = settings.http_max_header_bytes
    head_timeout = settings.http_header_timeout_seconds
    max_per_client = settings.http_max_connections_per_client
    open_per_client: Counter[str] = Counter()

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        _head_bytes = 0
        _reading_head = True
        _counted: str | None = None
        _head_timer: asyncio.TimerHandle | None = None
        _parsed_head = 0
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            address = self.client[0] if self.client else ""
            if open_per_client[address] >= max_per_client:
                REFUSED.labels("connections").inc()
                detail = {
                    "error": "too_many_connections",
                    "reason": f"at most {max_per_client} connections at a time from one client; "
                    "retry after 1 s",
                }
                self._answer_and_close(429, "Too Many Requests", detail, retry_after=1)
                return
            open_per_client[address] += 1
            self._counted = address
            self._start_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_timer()
            if self._counted is not None:
                open_per_client[self._counted] -= 1
                if open_per_client[self._counted] <= 0:
                    del open_per_client[self._counted]
                self._counted = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._reading_head:
                end = data.find(b"\r\n\r\n")  # where the head ends, if in this piece
                self._head_bytes += len(data) if end < 0 else end
                if end < 0 and self._head_bytes > max_head:
                    # Over while still arriving: refused before the parser holds any more.
                    self._head_too_large()
                    return
            super().data_received(data)

        def on_url(self, url: bytes) -> None:
            self._note_head(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._note_head(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_message_begin(self) -> None:
            self._parsed_head = 0
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._reading_head = False
            self._head_bytes = 0
            self._stop_head_timer()
            if self._parsed_head > max_head:
                self._head_too_large()
                return
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            if self._refused:
                return
            super().on_message_complete()
            self._reading_head = True
            self._start_head_timer()

        def _note_head(self, size: int) -> None:
            self._parsed_head += size

        def _head_too_large(self) -> None:
            REFUSED.labels(HEAD_TOO_LARGE).inc()
            detail = {
                "error": "headers_too_large",
                "reason": f"the request line and headers can be at most {max_head} bytes; "
                "send fewer or shorter headers",
            }
            self._answer_and_close(431, "Request Header Fields Too Large", detail)

        def _start_head_timer(self) -> None:
            self._stop_head_timer()
            loop = asyncio.get_running_loop()
            self._head_timer = loop.call_later(head_timeout, self._head_timed_out)

        def _stop_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if not self._reading_head or self.transport.is_closing():
                return
            if self._head_bytes == 0:
                self.transport.close()  # an idle connection: nothing to answer
                return
            REFUSED.labels("head_timeout").inc()
            detail = {
                "error": "request_timeout",
                "reason": f"the request's headers did not arrive within {head_timeout:g} s; "
                "send the request again",
            }
            self._answer_and_close(408, "Request Timeout", detail)

        def _answer_and_close(
            self, status: int, reason: str, detail: dict[str, str], retry_after: int | None = None
        ) -> None:
            self._stop_head_timer()
            self._refused = True
            if not self.transport.is_closing():
                self.transport.write(_raw_answer(status, reason, {"detail": detail}, retry_after))
                self.transport.close()

    return LimitedHttpToolsProtocol


def install_limits(
    app: FastAPI,
    settings: CommonSettings,
    *,
    streamed: Mapping[str, int] | None = None,
    page: RefusalPage | None = None,
) -> None:
    """The request limits, and the answer to a database outage: 503 with Retry-After, as JSON
    for the API and as `page` for the site. `streamed` gives the file-upload routes their own
    body limit."""
    app.add_middleware(
        RequestLimits,
        bodies=BodyLimits.from_settings(settings, streamed),
        body_timeout_seconds=settings.http_body_timeout_seconds,
        max_in_flight_per_client=settings.http_max_requests_in_flight_per_client,
        page=page,
    )
    retry_after = settings.outage_retry_after_seconds

    async def database_unreachable(request: Request, exc: Exception) -> Response:
        # No detail of the error: its text names hosts and ports.
        log.warning("database unreachable", extra={"error": type(exc).__name__})
        REFUSED.labels("database_unreachable").inc()
        figures = {"seconds": retry_after}
        if page is not None and wants_page(request.scope):
            response = page(request, 503, "outage", figures)
        else:
            response = JSONResponse(
                status_code=503,
                content={
                    "detail": {
                        "error": "database_unavailable",
                        "reason": "the database cannot be reached just now, so nothing was "
                        f"stored or read; retry after {retry_after} s",
                    }
                },
            )
        response.headers["Retry-After"] = str(retry_after)
        return response

    app.add_exception_handler(ConnectionFailure, database_unreachable)


def too_many_guesses(exc: TooManyGuesses, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The API's answer to a client past the tracking-code throttle's threshold."""
    return JSONResponse(
        status_code=429,
        content={
            "detail": {
                "error": "too_many_guesses",
                "reason": "too many unknown tracking codes came from this client lately; "
                f"check the code and retry after {exc.retry_after} s",
            }
        },
        headers={**(headers or {}), "Retry-After": str(exc.retry_after)},
    )
