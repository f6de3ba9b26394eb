"""The request limits as a client meets them, on the ASGI middleware alone (the whole servers
are tested in tests/integration/test_limits.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from services.common.limits import BodyLimits, RequestLimits


def app_with_limits(body_timeout: float = 5, in_flight: int = 8) -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    read: list[int] = []

    @app.post("/v1/things")
    async def things(request: Request) -> dict[str, int]:
        body = await request.body()
        read.append(len(body))
        return {"bytes": len(body)}

    app.add_middleware(
        RequestLimits,
        bodies=BodyLimits(json_bytes=1024, form_bytes=2048, streamed={"/v1/upload": 4096}),
        body_timeout_seconds=body_timeout,
        max_in_flight_per_client=in_flight,
    )
    return app, read


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_chunked_body_over_the_limit_is_refused_as_it_streams() -> None:
    app, read = app_with_limits()

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 300

    async with client_of(app) as client:
        answer = await client.post("/v1/things", content=chunks())
    assert answer.status_code == 413
    (problem,) = answer.json()["detail"]
    assert problem["field"] == "body" and "at most 1024 bytes" in problem["reason"]
    assert read == []  # the route never got the body


async def test_a_body_within_the_limit_goes_through() -> None:
    app, read = app_with_limits()
    async with client_of(app) as client:
        answer = await client.post("/v1/things", content=b"x" * 1000)
    assert answer.status_code == 200 and read == [1000]


def test_each_kind_of_route_has_its_own_limit() -> None:
    limits = BodyLimits(json_bytes=1024, form_bytes=2048, streamed={"/v1/upload": 4096})
    assert limits.for_request("/v1/reports", "application/json") == 1024
    assert limits.for_request("/report", "application/x-www-form-urlencoded") == 2048
    assert limits.for_request("/evidence", "multipart/form-data; boundary=x") == 2048
    assert limits.for_request("/v1/upload", "image/png") == 4096


async def test_a_body_that_stops_arriving_is_answered_408() -> None:
    app, read = app_with_limits(body_timeout=0.05)

    async def stalls() -> AsyncIterator[bytes]:
        yield b"{"
        await asyncio.sleep(5)
        yield b"}"

    async with client_of(app) as client:
        answer = await client.post("/v1/things", content=stalls())
    assert answer.status_code == 408
    assert "stopped arriving" in answer.json()["detail"][0]["reason"]
    assert read == []


@pytest.mark.parametrize("in_flight", [1, 2])
async def test_requests_beyond_the_clients_in_flight_limit_get_429_with_retry_after(
    in_flight: int,
) -> None:
    app, _ = app_with_limits(body_timeout=5, in_flight=in_flight)
    release = asyncio.Event()

    async def held() -> AsyncIterator[bytes]:
        yield b"{"
        await release.wait()
        yield b"}"

    async with client_of(app) as client:
        holding = [asyncio.create_task(client.post("/v1/things", content=held()))]
        holding += [
            asyncio.create_task(client.post("/v1/things", content=held()))
            for _ in range(in_flight - 1)
        ]
        await asyncio.sleep(0.05)  # let them reach the route
        refused = await client.post("/v1/things", content=b"{}")
        release.set()
        finished = await asyncio.gather(*holding)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json()["detail"]["error"] == "too_many_requests"
    assert {answer.status_code for answer in finished} == {200}
