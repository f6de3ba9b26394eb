"""What intake's routes and pages are given, as `Annotated` types (FastAPI `Depends`).

The objects built once at start-up (stores, the outbox relay, the keyring, the producer) sit on
`app.state`, set by `services/intake/app.py`; the providers here hand them out, and assemble the
use cases from them for each request. No route reaches a use case through `app.state`.
The providers are `async def` on purpose: FastAPI runs a plain `def` dependency in a thread
pool, a hop that cost about 0.3 ms per provider per request here.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from functools import partial
from typing import Annotated

from aiokafka import AIOKafkaProducer
from fastapi import Depends, HTTPException, Request

from services.common.access import record_access
from services.common.auth import CONTENT_READERS, Principal, StaffAuth, StaffToken
from services.common.settings import IntakeSettings
from services.intake.channels.adapters import ConversationStore
from services.intake.evidence.adapters import EvidenceStore
from services.intake.evidence.uploads import ReporterUploads
from services.intake.reports.reads import ReadReport
from services.intake.reports.submit import SubmitReport

# -- built at start-up ---------------------------------------------------------------------


async def _settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings
    return settings


async def _evidence_store(request: Request) -> EvidenceStore:
    store: EvidenceStore = request.app.state.evidence
    return store


async def _conversations(request: Request) -> ConversationStore:
    store: ConversationStore = request.app.state.conversations
    return store


async def _staff_auth(request: Request) -> StaffAuth:
    auth: StaffAuth = request.app.state.staff_auth
    return auth


async def _producer(request: Request) -> AIOKafkaProducer | None:
    # None until Kafka has been reached: an audited read is then refused (503).
    producer: AIOKafkaProducer | None = request.app.state.producer
    return producer


Settings = Annotated[IntakeSettings, Depends(_settings)]
EvidenceStoreDep = Annotated[EvidenceStore, Depends(_evidence_store)]
Conversations = Annotated[ConversationStore, Depends(_conversations)]
StaffAuthDep = Annotated[StaffAuth, Depends(_staff_auth)]
Producer = Annotated[AIOKafkaProducer | None, Depends(_producer)]


async def _content_reader(
    request: Request, auth: StaffAuthDep, _token: StaffToken = None
) -> Principal:
    return await auth.require(*CONTENT_READERS)(request)


ContentReader = Annotated[Principal, Depends(_content_reader)]


async def _internal_caller(request: Request, settings: Settings) -> None:
    """One of Tipline's own services (the classifier), by the internal API token: checked
    before the request's body is looked at."""
    presented = request.headers.get("authorization", "").removeprefix("Bearer ")
    expected = settings.internal_api_token.get_secret_value()
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="a valid service token is required")


InternalCaller = Depends(_internal_caller)

# -- the use cases, assembled from their ports ----------------------------------------------
# Each reads its ports from app.state itself rather than through the providers above: one
# dependency per use case instead of four keeps the per-request cost down.


async def _submit(request: Request) -> SubmitReport:
    state = request.app.state
    settings: IntakeSettings = state.settings
    return SubmitReport(
        store=state.store,
        outbox=state.relay,
        keyring=state.keyring,
        secret=settings.tracking_code_secret.get_secret_value().encode(),
        status_base_url=settings.public_base_url,
        idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )


async def _read_report(request: Request) -> ReadReport:
    state = request.app.state
    return ReadReport(
        store=state.store,
        keyring=state.keyring,
        record_access=partial(record_access, state.producer),
    )


async def _uploads(request: Request) -> ReporterUploads:
    state = request.app.state
    return ReporterUploads(store=state.evidence, throttle=state.upload_throttle)


Submit = Annotated[SubmitReport, Depends(_submit)]
ReadReportDep = Annotated[ReadReport, Depends(_read_report)]
Uploads = Annotated[ReporterUploads, Depends(_uploads)]
