"""Classifier's entry point: a faust agent on report.submitted, plus its web pages (health,
readiness, metrics, and the staff API in `api`).

The pages are served by the faust worker's own aiohttp web server, not by FastAPI as in the
other services: the worker owns the process and its event loop, and starts and stops its web
server with the agent, so a second server would need a loop, a port and a shutdown of its
own. What /readyz answers is decided by the same function as everywhere (`readiness_answer`).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.classifier import api, openapi
from services.classifier import model as model_module
from services.classifier import taxonomy as taxonomy_module
from services.classifier.adapters import IntakeContentClient
from services.classifier.consumer import make_handler_factory
from services.classifier.insights import api as insights_api
from services.classifier.insights import consumer as insights_consumer
from services.classifier.pipeline import Sifter
from services.common import api_docs, topics
from services.common.auth import StaffAuth, TokenRegister, load_public_key
from services.common.http import readiness_answer
from services.common.kafka import BrokerWatch, RawMessage
from services.common.runtime import ConsumerRuntime
from services.common.service_index import service_index
from services.common.settings import ClassifierSettings

log = logging.getLogger(__name__)

EXIT_NEW_BROKER = 75  # EX_TEMPFAIL: start me again

# Reports are sifted in batches: each step in the database is then one request for the batch
# instead of one per report. A batch is what arrived within BATCH_WAIT_S, at most BATCH_SIZE.
# Two batches run at once, so one is sifted while the other waits on the database; faust
# still commits an offset only when every event before it is done.
BATCH_SIZE = 64
BATCH_WAIT_S = 0.05
AGENT_CONCURRENCY = 2
CLASSIFIER_LINKS = {
    "classification": "/v1/staff/reports/{report_id}/classification",
    "cluster": "/v1/staff/clusters/{cluster_id}",
    "industries": "/v1/insights/industries?from={YYYY-MM}&to={YYYY-MM}",
}


def _limit_faust_fetch_wait(max_wait_ms: int) -> None:
    """faust fixes the consumer's fetch_max_wait_ms at 1,500 ms, and Tansu holds a fetch for
    the whole wait even when events arrive meanwhile: every report would wait up to 1.5 s
    here. faust offers no setting for it, so its consumer factory is wrapped once."""
    factory = AIOKafkaConsumerThread._create_worker_consumer
    if getattr(factory, "tipline_wrapped", False):
        return

    def create_worker_consumer(self: AIOKafkaConsumerThread, transport: Any) -> Any:
        consumer = factory(self, transport)
        consumer._fetch_max_wait_ms = max_wait_ms  # read by aiokafka when the consumer starts
        return consumer

    create_worker_consumer.tipline_wrapped = True  # type: ignore[attr-defined]
    AIOKafkaConsumerThread._create_worker_consumer = create_worker_consumer  # type: ignore[method-assign]


def create_app(settings: ClassifierSettings) -> faust.App:
    _limit_faust_fetch_wait(settings.kafka_fetch_max_wait_ms)
    # Loaded before anything starts: a missing or mismatched model stops the worker at once.
    sifter = Sifter(
        model=model_module.load(),
        taxonomy=taxonomy_module.load(),
        keyring=settings.keyring(),
        linking_secret=settings.linking_secret.get_secret_value().encode(),
    )
    app = faust.App(
        "tipline-classifier",
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers],
        store="memory://",
        # faust wants a data directory even with in-memory tables; keep it out of the code tree.
        datadir=str(Path(tempfile.gettempdir()) / f"tipline-classifier-{settings.http_port}"),
        web_host=settings.http_host,
        web_port=settings.http_port,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        producer_acks=-1,
        broker_session_timeout=settings.kafka_session_timeout_ms / 1000,
        consumer_auto_offset_reset="earliest",
    )
    submitted = app.topic(
        topics.REPORT_SUBMITTED, key_serializer="raw", value_serializer="raw", internal=False
    )
    state: dict[str, Any] = {}

    @app.task
    async def connect() -> None:
        intake = IntakeContentClient(
            settings.intake_url, settings.internal_api_token.get_secret_value()
        )
        runtime = ConsumerRuntime(
            settings,
            name="classifier",
            database=settings.database,
            topic_names=(topics.REPORT_SUBMITTED,),
            handler_factory=make_handler_factory(intake, sifter),
        )
        state["runtime"], state["intake"] = runtime, intake
        # The industry information's read model: its own consumer group on the stage topic.
        insights = insights_consumer.runtime(settings)
        state["insights"] = insights
        insights.start_consuming()
        await runtime.connect_kafka()
        runtime.consuming = True

    @app.on_before_shutdown.connect  # type: ignore[arg-type]  # faust's stub wants sync
    async def disconnect(app: faust.App, **kwargs: Any) -> None:
        if "runtime" in state:
            await state["runtime"].close()
            await state["intake"].close()
        if "insights" in state:
            await state["insights"].close()

    @app.agent(submitted, concurrency=AGENT_CONCURRENCY)
    async def classify_reports(stream: faust.StreamT[bytes]) -> None:
        # faust's StreamT stub lacks take_events, which Stream (what the agent gets) has.
        async for events in stream.take_events(BATCH_SIZE, within=BATCH_WAIT_S):  # type: ignore[attr-defined]
            runtime: ConsumerRuntime | None = state.get("runtime")
            while runtime is None:
                await app.sleep(0.1)
                runtime = state.get("runtime")
            await runtime.started.wait()
            assert runtime.processor is not None
            # faust acks these events only after this returns: none is committed unprocessed.
            await runtime.processor.process_many(
                [
                    [
                        RawMessage(m.topic, m.partition, m.offset, m.key, m.value)
                        for m in (event.message for event in events)
                    ]
                ]
            )

    staff_auth = StaffAuth(load_public_key(settings.public_key_pem()), register=None)

    @app.timer(5.0)
    async def notice_a_new_broker() -> None:
        """faust keeps its positions across a broker restarted empty, and would skip every new
        event below them (and commit them on a clean stop): the worker exits at once instead,
        unacknowledged events and all, and its supervisor starts it afresh."""
        runtime: ConsumerRuntime | None = state.get("runtime")
        if runtime is None or runtime.producer is None:
            return
        watch = state.setdefault("broker_watch", BrokerWatch(runtime.producer, every_seconds=0))
        if await watch.changed():
            log.error("a new broker: the worker exits to start again on it")
            sys.stdout.flush()
            os._exit(EXIT_NEW_BROKER)

    @app.timer(settings.token_revocation_refresh_seconds)
    async def refresh_revocations() -> None:
        runtime: ConsumerRuntime | None = state.get("runtime")
        if runtime is None:
            return
        if staff_auth.register is None:
            staff_auth.register = TokenRegister(runtime.client[settings.staff_database])
        await staff_auth.refresh_once()

    api.register(
        app, settings, sifter.taxonomy, lambda: state.get("runtime"), sifter.keyring, staff_auth
    )

    insights_api.register(
        app, sifter.taxonomy, lambda: state.get("insights"), staff_auth, settings.insights_min_cell
    )

    @app.page("/")
    async def index(web: View, request: Request) -> Response:
        return web.json(service_index("classifier", openapi.SUMMARY, CLASSIFIER_LINKS))

    # The staff API's documentation: the page and files every service serves (api_docs).
    @app.page("/openapi.json")
    async def openapi_json(web: View, request: Request) -> Response:
        return web.json(openapi.openapi_document())

    @app.page(api_docs.DOCS_PATH)
    async def docs_page(web: View, request: Request) -> Response:
        page = api_docs.docs_html(openapi.TITLE, "/openapi.json")
        return web.html(page, headers=dict(api_docs.DOCS_HEADERS))

    @app.page(api_docs.ASSETS_PATH + "/{name}")
    async def docs_asset(web: View, request: Request, name: str) -> Response:
        found = api_docs.asset(name)
        if found is None:
            return web.json({"detail": "no such file"}, status=404)
        body, media_type = found
        return web.bytes(body, content_type=media_type, headers=dict(api_docs.ASSET_HEADERS))

    @app.page("/healthz")
    async def healthz(web: View, request: Request) -> Response:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: View, request: Request) -> Response:
        runtime: ConsumerRuntime | None = state.get("runtime")
        checks = await runtime.readiness() if runtime else {"database": False, "kafka": False}
        status, body = readiness_answer(checks)
        return web.json(body, status=status)

    @app.page("/metrics")
    async def metrics(web: View, request: Request) -> Response:
        # aiohttp refuses a charset inside content_type, so the full header goes in as is.
        return web.bytes(generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return app
