"""Tracker's HTTP entry point and composition root: builds the store, the status cache, the
publisher and the consumer, and mounts the routes (`routes/tracking.py` for reporters,
`routes/cases.py` for staff, `web.py` for the status page). The use cases are in `workflow.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.common import mongo
from services.common.auth import StaffAuth, TokenRegister, load_public_key, refreshing
from services.common.events import utcnow
from services.common.http import install_common
from services.common.limits import install_limits
from services.common.pages import Pages, refusal_page
from services.common.runtime import ConsumerRuntime, ConsumerThread
from services.common.settings import TrackerSettings
from services.common.throttle import FailureThrottle
from services.tracker.adapters import CaseStore, RecentStatuses
from services.tracker.console.office_apis import OfficeApis
from services.tracker.console.routes import console_parts, install_console
from services.tracker.consumer import TOPICS, make_handler_factory
from services.tracker.deps import Office, get_clock
from services.tracker.domain import DeadlinePolicy, RoutingTable
from services.tracker.errors import install_error_answers
from services.tracker.publisher import OutboxPublisher, relay_for, run_outbox
from services.tracker.routes import cases, tracking
from services.tracker.web import status_router
from services.tracker.workflow import Clock

READ_POOL_SIZE = 8
DEFAULT_ROUTING_FILE = Path(__file__).with_name("routing.toml")
TEMPLATES = Path(__file__).parent / "web" / "templates"


def office_of(settings: TrackerSettings) -> Office:
    return Office(
        keyring=settings.keyring(),
        routing=RoutingTable.from_toml((settings.routing_file or DEFAULT_ROUTING_FILE).read_text()),
        deadlines=DeadlinePolicy(
            acknowledgement=timedelta(days=settings.acknowledgement_days),
            feedback=timedelta(days=settings.feedback_days),
        ),
        tracking_code_secret=settings.tracking_code_secret.get_secret_value().encode(),
        idle_cluster_min_reports=settings.idle_cluster_min_reports,
    )


def create_app(settings: TrackerSettings, clock: Clock = utcnow) -> FastAPI:
    office = office_of(settings)
    auth = StaffAuth(
        load_public_key(settings.public_key_pem()),
        None,  # the register is set in the lifespan, once the database client exists
        settings.token_revocation_refresh_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Status reads get their own small connection pool: a crowd of reporters refreshing
        # their page must not queue ahead of the consumer that moves their cases forward.
        readers = mongo.connect(
            settings.mongodb_uri,
            max_pool_size=READ_POOL_SIZE,
            server_selection_timeout_ms=settings.mongodb_server_selection_timeout_ms,
        )
        store = CaseStore(readers[settings.database])
        statuses = RecentStatuses(store)
        publisher = OutboxPublisher(relay_for(store.cases, settings))
        auth.register = TokenRegister(readers[settings.staff_database])
        app.state.console = console_parts(
            settings, readers[settings.staff_database], auth.register, office.keyring
        )
        await app.state.console.sessions.create_indexes()
        app.state.office_apis = OfficeApis(
            settings.intake_url.rstrip("/"),
            settings.classifier_url.rstrip("/"),
            settings.audit_url.rstrip("/"),
            httpx.AsyncClient(),
        )
        consumer = ConsumerThread(
            lambda: ConsumerRuntime(
                settings,
                name="tracker",
                database=settings.database,
                topic_names=TOPICS,
                handler_factory=make_handler_factory(
                    statuses, office.keyring, office.routing, office.deadlines, clock
                ),
            ),
            name="tracker",
        )
        app.state.consumer, app.state.statuses, app.state.store = consumer, statuses, store
        app.state.publisher = publisher
        consumer.start()
        tasks = [asyncio.create_task(run_outbox(publisher, settings))]
        try:
            async with refreshing(auth):
                yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await publisher.stop()
            await asyncio.to_thread(consumer.stop)
            await app.state.office_apis.client.aclose()
            await readers.close()

    app = FastAPI(
        title="Tipline tracker",
        version="1",
        summary="Follow a report with its tracking code; work cases through their stages.",
        lifespan=lifespan,
    )

    async def readiness() -> dict[str, bool]:
        return dict(await app.state.consumer.readiness())

    # Reading a status needs only the database: a Kafka outage must not take the reporters'
    # status page out of rotation (the checks still show it).
    install_common(app, readiness, required=("database",))
    install_limits(
        app,
        settings,
        page=refusal_page(Pages(TEMPLATES), "/status", "status_title"),
    )
    install_error_answers(app)
    app.state.office, app.state.auth = office, auth
    app.state.throttle = FailureThrottle(
        free_failures=settings.lookup_free_failures,
        window_seconds=settings.lookup_window_seconds,
        max_delay=settings.lookup_max_delay_seconds,
        refuse_after=settings.lookup_refuse_after_failures,
    )
    app.dependency_overrides[get_clock] = lambda: clock
    app.include_router(tracking.router)
    app.include_router(cases.router)
    app.include_router(status_router(settings))
    install_console(app)
    return app
