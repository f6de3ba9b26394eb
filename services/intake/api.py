"""Intake's HTTP entry point: every channel posts reports here."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from pymongo.errors import DuplicateKeyError

from services.common import kafka, mongo
from services.common.auth import StaffAuth, TokenRegister, load_public_key, refreshing
from services.common.events import utcnow
from services.common.http import install_common
from services.common.settings import IntakeSettings
from services.intake.adapters import OutboxRelay, ReportStore
from services.intake.domain import (
    ReportAccepted,
    ReportIn,
    accept_report,
    idempotency_key_hash,
    open_answer,
    request_fingerprint,
)
from services.intake.evidence_api import evidence_router, sweep_abandoned
from services.intake.evidence_store import EvidenceStore

log = logging.getLogger(__name__)

REPORTS_ACCEPTED = Counter("tipline_reports_accepted_total", "Reports accepted", ["channel"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        description="A unique value per report, so that a channel's retry returns the first "
        "answer instead of making a second report.",
    ),
]


def create_app(settings: IntakeSettings) -> FastAPI:
    secret = settings.tracking_code_secret.get_secret_value().encode()
    internal_token = settings.internal_api_token.get_secret_value()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = mongo.connect(settings.mongodb_uri)
        store = ReportStore(client[settings.database])
        await store.create_indexes()
        relay = OutboxRelay(
            client[settings.database],
            poll_seconds=settings.outbox_poll_seconds,
            on_sweep=store.forget_expired_idempotency,
        )
        app.state.store, app.state.relay, app.state.client = store, relay, client
        app.state.producer = None
        tasks = [asyncio.create_task(store.inserter.run())]
        # Evidence files: sealed chunk store, staff tokens for downloads, abandoned uploads.
        app.state.evidence = EvidenceStore(client[settings.database], settings.keyring())
        await app.state.evidence.create_indexes()
        app.state.staff_auth = StaffAuth(
            load_public_key(settings.public_key_pem()),
            TokenRegister(client[settings.staff_database]),
            settings.token_revocation_refresh_seconds,
        )
        abandoned_after = timedelta(minutes=settings.evidence_abandoned_after_minutes)
        tasks.append(asyncio.create_task(sweep_abandoned(app.state.evidence, abandoned_after)))
        # Reports are accepted even while Kafka is away: the outbox holds their events.
        tasks.append(asyncio.create_task(_start_kafka(app, settings, relay, tasks)))
        try:
            async with refreshing(app.state.staff_auth):
                yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if app.state.producer is not None:
                await app.state.producer.stop()
            await client.close()

    app = FastAPI(
        title="Tipline intake",
        version="1",
        summary="Report organized crime and official corruption safely. Anonymous by default.",
        lifespan=lifespan,
    )

    async def readiness() -> dict[str, bool]:
        return {
            "database": await mongo.ping(app.state.client),
            "kafka": app.state.producer is not None
            and await kafka.kafka_reachable(app.state.producer),
        }

    # Intake stays ready while Kafka is away (reports wait in the outbox); it is not ready
    # without its database, where every report must land first.
    install_common(app, readiness, required=("database",))
    app.include_router(evidence_router(settings))

    @app.post(
        "/v1/reports",
        status_code=status.HTTP_201_CREATED,
        response_model=ReportAccepted,
        tags=["reports"],
        summary="Submit a report",
        responses={422: {"description": "A field is missing or invalid; the body names it"}},
    )
    async def submit_report(
        report: ReportIn,
        request: Request,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        # The answer holds the tracking code: no cache anywhere may keep it.
        response.headers["Cache-Control"] = "no-store"
        store: ReportStore = request.app.state.store
        if idempotency_key is not None:
            replay = await _replay(store, report, idempotency_key, secret)
            if replay is not None:
                return replay
        new = accept_report(
            report,
            secret=secret,
            status_base_url=settings.public_base_url,
            idempotency_key=idempotency_key,
            idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
        )
        try:
            await store.insert(new.document)
        except DuplicateKeyError:
            # A concurrent retry with the same key won the race: answer as it did.
            replay = await _replay(store, report, idempotency_key or "", secret)
            if replay is None:
                raise
            return replay
        request.app.state.relay.hand_over(new.document)
        REPORTS_ACCEPTED.labels(report.channel.value).inc()
        log.info(
            "report accepted", extra={"report_id": new.report_id, "channel": report.channel.value}
        )
        return new.answer

    @app.get("/internal/v1/reports/{report_id}/content", include_in_schema=False)
    async def report_content(report_id: str, request: Request) -> dict[str, Any]:
        """For the classifier only: what was reported, without the reporter's contact."""
        presented = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(presented.encode(), internal_token.encode()):
            raise HTTPException(status_code=401, detail="a valid service token is required")
        content = await request.app.state.store.content(report_id)
        if content is None:
            raise HTTPException(status_code=404, detail="no such report")
        content.pop("_id", None)
        return content

    return app


async def _replay(
    store: ReportStore, report: ReportIn, key: str, secret: bytes
) -> ReportAccepted | JSONResponse | None:
    existing = await store.find_by_idempotency_key(idempotency_key_hash(key, secret))
    if existing is None:
        return None
    record = existing["idempotency"]
    if record["expires_at"] <= utcnow():
        # Forgotten by now, even if the periodic clean-up has not run: the key is free again.
        await store.forget_idempotency(existing["_id"])
        return None
    if not hmac.compare_digest(record["request_hash"], request_fingerprint(report, secret)):
        return JSONResponse(
            status_code=422,
            content={
                "detail": [
                    {
                        "field": "Idempotency-Key",
                        "reason": "this key was already used for a different report",
                    }
                ]
            },
        )
    return open_answer(record["answer"], key, secret)


async def _start_kafka(
    app: FastAPI, settings: IntakeSettings, relay: OutboxRelay, tasks: list[asyncio.Task[None]]
) -> None:
    while True:
        producer = kafka.make_producer(settings)
        try:
            await kafka.ensure_topics(settings)
            await producer.start()
            break
        except Exception as exc:
            await producer.stop()
            log.warning("kafka not reachable yet; retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(2.0)
    app.state.producer = relay.producer = producer
    tasks.append(asyncio.create_task(relay.run_fresh()))
    tasks.append(asyncio.create_task(relay.run_marking()))
    tasks.append(asyncio.create_task(relay.run_sweep()))
    log.info("outbox relay started")
