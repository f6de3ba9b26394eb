"""Intake's HTTP entry point: every channel posts reports here."""

# No `from __future__ import annotations` here: FastAPI must evaluate the
# Annotated[..., Depends(staff_auth.require(...))] parameters inside create_app, where they live.
import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from pymongo.errors import DuplicateKeyError

from services.common import kafka, mongo
from services.common.access import record_access, stated_purpose
from services.common.auth import (
    CONTENT_READERS,
    Principal,
    Role,
    StaffAuth,
    TokenRegister,
    load_public_key,
    out_of_scope,
    refreshing,
)
from services.common.crypto import KeyringError
from services.common.events import utcnow
from services.common.http import install_common
from services.common.runtime import ConsumerRuntime
from services.common.settings import IntakeSettings
from services.intake.reports import consumer
from services.intake.reports.adapters import ConversationStore, OutboxRelay, ReportStore
from services.intake.reports.domain import (
    SOURCE,
    ReportAccepted,
    ReportIn,
    accept_report,
    idempotency_key_hash,
    open_answer,
    open_report,
    request_fingerprint,
)
from services.intake.evidence.api import ReporterUploads, evidence_router, sweep_abandoned
from services.intake.evidence.adapters import EvidenceStore
from services.intake.channels.web import channels_router

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


ReportPart = Literal["content", "contact"]
STAFF_HEADERS = {"Cache-Control": "no-store"}


def create_app(settings: IntakeSettings) -> FastAPI:
    secret = settings.tracking_code_secret.get_secret_value().encode()
    internal_token = settings.internal_api_token.get_secret_value()
    # Both are read once, at start-up: a service without its keys must not start at all.
    keyring = settings.keyring()
    staff_auth = StaffAuth(
        load_public_key(settings.public_key_pem()),
        register=None,
        refresh_seconds=settings.token_revocation_refresh_seconds,
    )

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
        staff_auth.register = TokenRegister(client[settings.staff_database])
        scope_keeper = ConsumerRuntime(
            settings,
            name="intake",
            database=settings.database,
            topic_names=consumer.TOPICS,
            handler_factory=consumer.make_handler,
        )
        tasks = [asyncio.create_task(store.inserter.run())]
        # Evidence files: the sealed chunk store, and a sweep for uploads a crash left behind.
        app.state.evidence = EvidenceStore(client[settings.database], keyring)
        await app.state.evidence.create_indexes()
        abandoned_after = timedelta(minutes=settings.evidence_abandoned_after_minutes)
        tasks.append(asyncio.create_task(sweep_abandoned(app.state.evidence, abandoned_after)))
        # Messaging-app conversations still being written, sealed (services/intake/channels/webhooks.py).
        app.state.conversations = ConversationStore(
            client[settings.database], keyring, settings.conversation_ttl_hours
        )
        await app.state.conversations.create_indexes()
        # Reports are accepted even while Kafka is away: the outbox holds their events.
        tasks.append(asyncio.create_task(_start_kafka(app, settings, relay, tasks)))
        scope_keeper.start_consuming()
        try:
            async with refreshing(staff_auth):
                yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await scope_keeper.close()
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
    # One per process: the API and the web form share its limits and its lookup throttle.
    uploads = ReporterUploads(settings)
    app.include_router(evidence_router(settings, uploads))

    async def submit(
        report: ReportIn, idempotency_key: str | None
    ) -> ReportAccepted | JSONResponse:
        """The one way a report gets in, whatever the channel: the JSON API, the website, the
        messaging-app webhooks and staff entry all end here (same validation, storage, event)."""
        store: ReportStore = app.state.store
        if idempotency_key is not None:
            replay = await _replay(store, report, idempotency_key, secret)
            if replay is not None:
                return replay
        new = accept_report(
            report,
            keyring=keyring,
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
        app.state.relay.hand_over(new.document)
        REPORTS_ACCEPTED.labels(report.channel.value).inc()
        log.info(
            "report accepted", extra={"report_id": new.report_id, "channel": report.channel.value}
        )
        return new.answer

    app.state.submit = submit

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
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        # The answer holds the tracking code: no cache anywhere may keep it.
        response.headers["Cache-Control"] = "no-store"
        return await submit(report, idempotency_key)

    app.include_router(channels_router(settings, uploads))

    @app.get("/internal/v1/reports/{report_id}/content", include_in_schema=False)
    async def report_content(report_id: str, request: Request) -> dict[str, Any]:
        """For the classifier only: what was reported, never who reported it. Audited."""
        presented = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(presented.encode(), internal_token.encode()):
            raise HTTPException(status_code=401, detail="a valid service token is required")
        document = await request.app.state.store.sealed(report_id)
        if document is None:
            raise HTTPException(status_code=404, detail="no such report")
        await record_access(
            request.app.state.producer,
            source=SOURCE,
            service="classifier",
            report_id=report_id,
            fields=["content"],
            purpose="automatic classification, entity extraction and linking",
        )
        return open_report(document, keyring, ["content"])

    @app.get(
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
        request: Request,
        response: Response,
        principal: Annotated[Principal, Depends(staff_auth.require(*CONTENT_READERS))],
        purpose: Annotated[str, Depends(stated_purpose)],
        part: Annotated[list[ReportPart], Query(description="Which parts to open")] = [  # noqa: B006
            "content"
        ],
    ) -> dict[str, Any]:
        response.headers.update(STAFF_HEADERS)
        document = await request.app.state.store.sealed(report_id)
        scope = (document or {}).get("scope") or {}
        if document is None and principal.role is Role.SUPERVISOR:
            raise HTTPException(status_code=404, detail="no such report")
        if document is None or not principal.may_see(scope.get("province"), scope.get("team")):
            raise out_of_scope()
        parts: list[str] = sorted(set(part))
        # Recorded first: if the audit log cannot take it, nothing is decrypted.
        await record_access(
            request.app.state.producer,
            source=SOURCE,
            principal=principal,
            report_id=report_id,
            fields=parts,
            purpose=purpose,
        )
        return {"report_id": report_id, "scope": scope, **open_report(document, keyring, parts)}

    @app.exception_handler(KeyringError)
    async def sealed_content_does_not_open(request: Request, exc: KeyringError) -> JSONResponse:
        # Never a partial or wrong answer: a report that does not open is an integrity alarm.
        log.error(
            "sealed report does not open",
            extra={
                "report_id": request.path_params.get("report_id"),
                "error": type(exc).__name__,
            },
        )
        return JSONResponse(
            status_code=500,
            content={
                "detail": {
                    "error": "sealed_content_does_not_open",
                    "reason": "this report's sealed content does not open with the keys this "
                    "service holds: it was altered, moved from another report, or its key was "
                    "retired too early",
                }
            },
        )

    app.state.staff_auth = staff_auth
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
    producer = await kafka.start_producer_when_reachable(settings)
    app.state.producer = relay.producer = producer
    tasks.append(asyncio.create_task(relay.run_fresh()))
    tasks.append(asyncio.create_task(relay.run_marking()))
    tasks.append(asyncio.create_task(relay.run_sweep()))
    log.info("outbox relay started")
