"""Tracker's FastAPI dependencies, as `Annotated` types, so a route reads like its contract.

The objects built at start-up (the store, the status cache, the publisher, the staff
authenticator, the lookup throttle) are kept on `app.state` and handed out from here; the use
cases themselves are imported from `workflow.py`, never reached through the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from aiokafka import AIOKafkaProducer
from fastapi import Depends, Request

from services.common.auth import Principal, Role, StaffAuth, StaffToken
from services.common.crypto import Keyring
from services.common.events import utcnow
from services.common.throttle import FailureThrottle
from services.tracker.adapters import CaseStore, RecentStatuses
from services.tracker.domain import DeadlinePolicy, RoutingTable
from services.tracker.publisher import OutboxPublisher
from services.tracker.workflow import Clock, CodeLookup, Tracker


@dataclass(frozen=True)
class Office:
    """The office's rules and keys, read from the settings once."""

    keyring: Keyring
    routing: RoutingTable
    deadlines: DeadlinePolicy
    tracking_code_secret: bytes
    idle_cluster_min_reports: int


def get_clock() -> Clock:
    """The time; `create_app(clock=...)` overrides it (a fixed clock for tests)."""
    return utcnow


def get_office(request: Request) -> Office:
    office: Office = request.app.state.office
    return office


def get_store(request: Request) -> CaseStore:
    store: CaseStore = request.app.state.store
    return store


def get_statuses(request: Request) -> RecentStatuses:
    statuses: RecentStatuses = request.app.state.statuses
    return statuses


def get_publisher(request: Request) -> OutboxPublisher:
    publisher: OutboxPublisher = request.app.state.publisher
    return publisher


def get_throttle(request: Request) -> FailureThrottle:
    throttle: FailureThrottle = request.app.state.throttle
    return throttle


ClockDep = Annotated[Clock, Depends(get_clock)]
OfficeDep = Annotated[Office, Depends(get_office)]
StoreDep = Annotated[CaseStore, Depends(get_store)]
StatusesDep = Annotated[RecentStatuses, Depends(get_statuses)]
PublisherDep = Annotated[OutboxPublisher, Depends(get_publisher)]
ThrottleDep = Annotated[FailureThrottle, Depends(get_throttle)]


def get_tracker(
    store: StoreDep,
    statuses: StatusesDep,
    publisher: PublisherDep,
    clock: ClockDep,
    office: OfficeDep,
) -> Tracker:
    return Tracker(
        cases=store,
        statuses=statuses,
        publisher=publisher,
        clock=clock,
        keyring=office.keyring,
        routing=office.routing,
        deadlines=office.deadlines,
    )


def get_code_lookup(statuses: StatusesDep, throttle: ThrottleDep, office: OfficeDep) -> CodeLookup:
    return CodeLookup(statuses, throttle, office.tracking_code_secret)


def get_access_producer(publisher: PublisherDep) -> AIOKafkaProducer | None:
    """The producer access records go out on (None until Kafka has been reached)."""
    return publisher.producer


TrackerDep = Annotated[Tracker, Depends(get_tracker)]
CodeLookupDep = Annotated[CodeLookup, Depends(get_code_lookup)]
AccessProducerDep = Annotated[AIOKafkaProducer | None, Depends(get_access_producer)]


def staff(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """The signed-in member of staff, if their role is one of `roles` (else 401 or 403)."""

    async def dependency(request: Request, _token: StaffToken = None) -> Principal:
        auth: StaffAuth = request.app.state.auth
        principal = auth.check(request.headers.get("authorization"), roles)
        request.state.principal = principal
        return principal

    return dependency


Supervisor = Annotated[Principal, Depends(staff(Role.SUPERVISOR))]
Worker = Annotated[Principal, Depends(staff(Role.INVESTIGATOR, Role.SUPERVISOR))]
LoadReader = Annotated[Principal, Depends(staff(Role.SUPERVISOR, Role.ANALYST))]
