"""Tracker's HTTP entry point: the reporter's status page, by tracking code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.common import mongo, tracking_code
from services.common.http import install_common
from services.common.runtime import ConsumerRuntime, ConsumerThread
from services.common.settings import TrackerSettings
from services.common.throttle import FailureThrottle
from services.tracker.adapters import CaseStore, RecentStatuses
from services.tracker.consumer import TOPICS, make_handler_factory
from services.tracker.domain import NOT_FOUND, NotFound, PublicStatus, public_status

READ_POOL_SIZE = 8

# The URL holds the code: never cache it, never send it on as a referrer.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def create_app(settings: TrackerSettings) -> FastAPI:
    secret = settings.tracking_code_secret.get_secret_value().encode()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Status reads get their own small connection pool: a crowd of reporters refreshing
        # their page must not queue ahead of the consumer that moves their cases forward.
        readers = mongo.connect(settings.mongodb_uri, max_pool_size=READ_POOL_SIZE)
        statuses = RecentStatuses(CaseStore(readers[settings.database]))
        consumer = ConsumerThread(
            lambda: ConsumerRuntime(
                settings,
                name="tracker",
                database=settings.database,
                topic_names=TOPICS,
                handler_factory=make_handler_factory(statuses),
            ),
            name="tracker",
        )
        app.state.consumer = consumer
        app.state.statuses = statuses
        consumer.start()
        try:
            yield
        finally:
            await asyncio.to_thread(consumer.stop)
            await readers.close()

    app = FastAPI(
        title="Tipline tracker",
        version="1",
        summary="Follow a report with its tracking code.",
        lifespan=lifespan,
    )

    async def readiness() -> dict[str, bool]:
        return await app.state.consumer.readiness()

    # Reading a status needs only the database: a Kafka outage must not take the reporters'
    # status page out of rotation (the checks still show it).
    install_common(app, readiness, required=("database",))
    throttle = FailureThrottle(
        free_failures=settings.lookup_free_failures,
        window_seconds=settings.lookup_window_seconds,
        max_delay=settings.lookup_max_delay_seconds,
    )
    app.state.throttle = throttle

    @app.get(
        # `path`, so a code with a slash or a trailing slash still gets the same 404 below.
        "/v1/track/{code:path}",
        response_model=PublicStatus,
        responses={404: {"model": NotFound, "description": "Unknown or mistyped code"}},
        tags=["tracking"],
        summary="Every stage of a report so far",
    )
    async def track(code: str, request: Request, response: Response) -> Any:
        client = throttle.client(request.client.host if request.client else None)
        # Before the lookup, whatever its outcome: the wait says nothing about the code.
        delay = throttle.delay_for(client)
        if delay:
            await asyncio.sleep(delay)
        normalized = tracking_code.normalize(code)
        case = None
        if normalized is not None:
            code_hash = tracking_code.lookup_hash(normalized, secret)
            case = await request.app.state.statuses.by_tracking_code_hash(code_hash)
        # A mistyped code and an unknown one get the same answer: no hint which part was wrong.
        if case is None:
            throttle.failed(client)
            return JSONResponse(
                status_code=404, content=NOT_FOUND.model_dump(), headers=PRIVATE_HEADERS
            )
        response.headers.update(PRIVATE_HEADERS)
        return public_status(case["timeline"])

    return app
