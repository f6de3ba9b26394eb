"""Intake's composition root: builds the stores, the outbox relay and the consumer once, and
mounts the routes (reports, evidence, channels). Routes get what they need from `deps.py`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.common import kafka, mongo
from services.common.auth import StaffAuth, TokenRegister, load_public_key, refreshing
from services.common.backoff import until_reachable
from services.common.crypto import KeyringError
from services.common.events import utcnow
from services.common.http import install_common
from services.common.limits import install_limits
from services.common.outbox import OutboxRelay
from services.common.pages import Pages, refusal_page
from services.common.runtime import ConsumerRuntime
from services.common.settings import IntakeSettings
from services.intake.channels.adapters import ConversationStore
from services.intake.channels.evidence_form import FORM_OVERHEAD_BYTES
from services.intake.channels.pages import WEB_DIR
from services.intake.channels.web import channels_router
from services.intake.evidence.adapters import EvidenceStore
from services.intake.evidence.api import router as evidence_router
from services.intake.evidence.uploads import UploadThrottle, sweep_abandoned
from services.intake.reports import consumer, reconcile
from services.intake.reports.adapters import WRITTEN_AT, ReportStore
from services.intake.reports.api import router as reports_router
from services.intake.reports.reconcile import Reconciliation

log = logging.getLogger(__name__)


def create_app(settings: IntakeSettings) -> FastAPI:
    # Read once, at start-up: a service without its keys must not start at all.
    keyring = settings.keyring()
    staff_auth = StaffAuth(
        load_public_key(settings.public_key_pem()),
        register=None,
        refresh_seconds=settings.token_revocation_refresh_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = mongo.connect(
            settings.mongodb_uri,
            server_selection_timeout_ms=settings.mongodb_server_selection_timeout_ms,
        )
        db = client[settings.database]
        store = ReportStore(db)
        await until_reachable("mongodb", store.create_indexes)
        relay = OutboxRelay(
            store.reports,
            poll_seconds=settings.outbox_poll_seconds,
            age_field=WRITTEN_AT,
            on_sweep=store.forget_expired_idempotency,
            on_new_broker=lambda: kafka.ensure_topics(settings),
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
        app.state.evidence = EvidenceStore(db, keyring)
        await until_reachable("mongodb", app.state.evidence.create_indexes)
        abandoned_after = timedelta(minutes=settings.evidence_abandoned_after_minutes)
        tasks.append(asyncio.create_task(sweep_abandoned(app.state.evidence, abandoned_after)))
        # Messaging-app conversations still being written, sealed (channels/webhooks.py).
        app.state.conversations = ConversationStore(db, keyring, settings.conversation_ttl_hours)
        await until_reachable("mongodb", app.state.conversations.create_indexes)
        # A report whose case did not open or get classified in time is published again.
        reconciliation = Reconciliation(
            store, utcnow, timedelta(seconds=settings.reconcile_after_seconds)
        )
        tasks.append(
            asyncio.create_task(
                reconcile.run_periodically(reconciliation, settings.reconcile_every_seconds)
            )
        )
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
    app.state.settings, app.state.keyring, app.state.staff_auth = settings, keyring, staff_auth
    # One per process: the API and the web form share its limits and its lookup throttle.
    app.state.upload_throttle = UploadThrottle.from_settings(settings)

    async def readiness() -> dict[str, bool]:
        return {
            "database": await mongo.ping(app.state.client),
            "kafka": app.state.producer is not None
            and await kafka.kafka_reachable(app.state.producer),
        }

    # Intake stays ready while Kafka is away (reports wait in the outbox); it is not ready
    # without its database, where every report must land first.
    install_common(app, readiness, required=("database",))
    install_limits(
        app,
        settings,
        # Uploads stream and count their own limits; this is the outer bound for each route.
        streamed={
            "/v1/evidence": settings.evidence_max_file_bytes + FORM_OVERHEAD_BYTES,
            "/evidence": settings.evidence_max_report_bytes + FORM_OVERHEAD_BYTES,
        },
        page=refusal_page(Pages(WEB_DIR / "templates"), "/", "back_to_form"),
    )
    app.include_router(evidence_router)
    app.include_router(reports_router)
    app.include_router(channels_router(settings))
    app.add_exception_handler(KeyringError, sealed_content_does_not_open)  # type: ignore[arg-type]
    return app


async def sealed_content_does_not_open(request: Request, exc: KeyringError) -> JSONResponse:
    # Never a partial or wrong answer: a report that does not open is an integrity alarm.
    log.error(
        "sealed report does not open",
        extra={"report_id": request.path_params.get("report_id"), "error": type(exc).__name__},
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


async def _start_kafka(
    app: FastAPI, settings: IntakeSettings, relay: OutboxRelay, tasks: list[asyncio.Task[None]]
) -> None:
    producer = await kafka.start_producer_when_reachable(settings)
    app.state.producer = producer
    tasks.append(asyncio.create_task(relay.run(producer)))
    log.info("outbox relay started")
