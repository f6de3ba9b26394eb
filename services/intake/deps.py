"""What intake's routes and pages are given, as `Annotated` types (FastAPI `Depends`).

The objects built once at start-up (stores, the outbox relay, the keyring, the producer) sit on
`app.state`, set by `services/intake/app.py`; the providers here hand them out, and assemble the
use cases from them for each request. No route reaches a use case through `app.state`.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated

from aiokafka import AIOKafkaProducer
from fastapi import Depends, Request

from services.common.access import record_access
from services.common.auth import CONTENT_READERS, Principal, StaffAuth
from services.common.crypto import Keyring
from services.common.outbox import OutboxRelay
from services.common.settings import IntakeSettings
from services.intake.channels.adapters import ConversationStore
from services.intake.evidence.adapters import EvidenceStore
from services.intake.evidence.uploads import ReporterUploads, UploadThrottle
from services.intake.reports.adapters import ReportStore
from services.intake.reports.reads import ReadReport
from services.intake.reports.submit import SubmitReport

# -- built at start-up ---------------------------------------------------------------------


def _settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings
    return settings


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


def _report_store(request: Request) -> ReportStore:
    store: ReportStore = request.app.state.store
    return store


def _relay(request: Request) -> OutboxRelay:
    relay: OutboxRelay = request.app.state.relay
    return relay


def _evidence_store(request: Request) -> EvidenceStore:
    store: EvidenceStore = request.app.state.evidence
    return store


def _conversations(request: Request) -> ConversationStore:
    store: ConversationStore = request.app.state.conversations
    return store


def _staff_auth(request: Request) -> StaffAuth:
    auth: StaffAuth = request.app.state.staff_auth
    return auth


def _producer(request: Request) -> AIOKafkaProducer | None:
    # None until Kafka has been reached: an audited read is then refused (503).
    producer: AIOKafkaProducer | None = request.app.state.producer
    return producer


def _upload_throttle(request: Request) -> UploadThrottle:
    throttle: UploadThrottle = request.app.state.upload_throttle
    return throttle


Settings = Annotated[IntakeSettings, Depends(_settings)]
KeyringDep = Annotated[Keyring, Depends(_keyring)]
ReportStoreDep = Annotated[ReportStore, Depends(_report_store)]
RelayDep = Annotated[OutboxRelay, Depends(_relay)]
EvidenceStoreDep = Annotated[EvidenceStore, Depends(_evidence_store)]
Conversations = Annotated[ConversationStore, Depends(_conversations)]
StaffAuthDep = Annotated[StaffAuth, Depends(_staff_auth)]
Producer = Annotated[AIOKafkaProducer | None, Depends(_producer)]


async def _content_reader(request: Request, auth: StaffAuthDep) -> Principal:
    return await auth.require(*CONTENT_READERS)(request)


ContentReader = Annotated[Principal, Depends(_content_reader)]

# -- the use cases, assembled from their ports ----------------------------------------------


def _submit(
    store: ReportStoreDep, relay: RelayDep, keyring: KeyringDep, settings: Settings
) -> SubmitReport:
    return SubmitReport(
        store=store,
        outbox=relay,
        keyring=keyring,
        secret=settings.tracking_code_secret.get_secret_value().encode(),
        status_base_url=settings.public_base_url,
        idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )


def _read_report(store: ReportStoreDep, keyring: KeyringDep, producer: Producer) -> ReadReport:
    return ReadReport(store=store, keyring=keyring, record_access=partial(record_access, producer))


def _uploads(
    store: EvidenceStoreDep, throttle: Annotated[UploadThrottle, Depends(_upload_throttle)]
) -> ReporterUploads:
    return ReporterUploads(store=store, throttle=throttle)


Submit = Annotated[SubmitReport, Depends(_submit)]
ReadReportDep = Annotated[ReadReport, Depends(_read_report)]
Uploads = Annotated[ReporterUploads, Depends(_uploads)]
