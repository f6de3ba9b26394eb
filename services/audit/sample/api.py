"""The sample in the audit API: the auditor commits, draws and records outcomes; auditors and
supervisors read the records, their printable form, and the period's result."""

# No `from __future__ import annotations`: FastAPI must evaluate the Annotated dependencies.
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from services.audit.adapters import AuditLog
from services.audit.sample import service
from services.audit.sample.adapters import LoggedReports, SamplePeriods
from services.audit.sample.domain import (
    Invalid,
    NotFound,
    Refused,
    SampleError,
    parse_beacon,
    parse_dice,
    parse_period,
    printable,
)
from services.audit.sample.entries import SOURCE
from services.audit.sample.results import Outcome
from services.common import kafka, topics
from services.common.access import record_access, stated_purpose
from services.common.auth import Principal, Role, StaffAuth
from services.common.crypto import Keyring
from services.common.events import Envelope, utcnow
from services.common.settings import AuditSettings


class CommitBody(BaseModel):
    period: str = Field(description="a month YYYY-MM, or an interval START--END")
    minimum: int | None = Field(default=None, ge=0)
    rate: str | None = Field(default=None, description="a decimal share, e.g. 0.01")
    stratify_by: Literal["province", ""] | None = None
    beacon: bool = Field(default=True, description="false: dice only")
    beacon_round: int | None = Field(default=None, ge=1)
    dice: int = Field(default=0, ge=0, le=200, description="how many ten-sided dice")


class DrawBody(BaseModel):
    beacon: str | None = Field(default=None, description="ROUND:HEX as the beacon published it")
    dice: list[int] | str | None = Field(default=None, description="the digits rolled")


class OutcomeBody(BaseModel):
    outcome: Outcome
    note: str | None = Field(default=None, max_length=10_000, description="sealed at rest")


class Stores:
    def __init__(self, request: Request) -> None:
        db = request.app.state.runtime.db
        self.periods, self.reports = SamplePeriods(db), LoggedReports(db)
        self.log: AuditLog = request.app.state.log


def publisher(request: Request) -> service.Publish:
    producer = request.app.state.runtime.producer
    if producer is None:
        raise HTTPException(
            status_code=503,
            detail={"error": "unavailable", "reason": "Kafka is not reachable yet; try again"},
        )

    async def publish(events: list[Envelope]) -> None:
        for event in events:
            await kafka.publish(producer, topics.REPORT_STAGE, event)

    return publish


def refusal(exc: SampleError) -> HTTPException:
    if isinstance(exc, Invalid):
        return HTTPException(422, detail=[{"field": exc.field or "body", "reason": exc.reason}])
    if isinstance(exc, NotFound):
        return HTTPException(404, detail={"error": "not_found", "reason": exc.reason})
    assert isinstance(exc, Refused)
    return HTTPException(409, detail={"error": "refused", "reason": exc.reason})


def sample_router(staff_auth: StaffAuth, settings: AuditSettings, keyring: Keyring) -> APIRouter:
    router = APIRouter(prefix="/v1/audit/samples", tags=["monthly sample"])
    StoresDep = Annotated[Stores, Depends(Stores)]
    PublishDep = Annotated[service.Publish, Depends(publisher)]
    Auditor = Annotated[Principal, Depends(staff_auth.require(Role.AUDITOR))]
    Reader = Annotated[Principal, Depends(staff_auth.require(Role.AUDITOR, Role.SUPERVISOR))]

    def period_id(period: str) -> str:
        try:
            return parse_period(period, settings.sample_timezone).id
        except SampleError as exc:
            raise refusal(exc) from exc

    @router.post("", status_code=201, summary="Freeze a period's reports and name the randomness")
    async def commit(body: CommitBody, stores: StoresDep, principal: Auditor) -> Any:
        try:
            request = service.commit_request(
                settings,
                body.period,
                minimum=body.minimum,
                rate=body.rate,
                stratify_by=body.stratify_by,
                beacon_round=body.beacon_round,
                dice=body.dice,
                with_beacon=body.beacon,
            )
            record, warnings = await service.commit(
                stores.periods, stores.reports, stores.log, request, utcnow(), principal.subject
            )
        except SampleError as exc:
            raise refusal(exc) from exc
        return {"record": record, "warnings": warnings}

    @router.get("", summary="Every committed period, drawn or not")
    async def status(stores: StoresDep, principal: Reader) -> Any:
        return {"periods": await service.status(stores.periods)}

    async def record_of(stores: Stores, period: str) -> dict[str, Any]:
        record = await stores.periods.get(period_id(period))
        if record is None:
            raise HTTPException(404, detail={"error": "not_found", "reason": "not committed"})
        return record

    @router.get("/{period}", summary="The published record: commitment, population, draw")
    async def published(period: str, stores: StoresDep, principal: Reader) -> Any:
        return await record_of(stores, period)

    @router.get(
        "/{period}/record.txt", response_class=PlainTextResponse, summary="The record to print"
    )
    async def printed(period: str, stores: StoresDep, principal: Reader) -> str:
        return printable(await record_of(stores, period))

    @router.post("/{period}/draw", summary="Draw the sample from the committed randomness")
    async def draw(
        period: str, body: DrawBody, stores: StoresDep, publish: PublishDep, principal: Auditor
    ) -> Any:
        try:
            beacon = parse_beacon(body.beacon) if body.beacon else None
            return await service.draw(
                stores.periods,
                stores.log,
                publish,
                period_id(period),
                beacon,
                parse_dice(body.dice),
                utcnow(),
                principal.subject,
            )
        except SampleError as exc:
            raise refusal(exc) from exc

    @router.post(
        "/{period}/outcomes/{report_id}",
        status_code=201,
        summary="A verifier's finding for one sampled case, with a sealed note",
    )
    async def outcome(
        period: str,
        report_id: str,
        body: OutcomeBody,
        stores: StoresDep,
        publish: PublishDep,
        principal: Auditor,
    ) -> Any:
        try:
            return await service.record_outcome(
                stores.periods,
                stores.log,
                publish,
                keyring,
                period_id(period),
                report_id,
                body.outcome,
                body.note,
                utcnow(),
                principal.subject,
                principal.role.value,
            )
        except SampleError as exc:
            raise refusal(exc) from exc

    @router.get("/{period}/outcomes", summary="Every outcome recorded for the period, no notes")
    async def outcomes(period: str, stores: StoresDep, principal: Reader) -> Any:
        return {"outcomes": await stores.periods.outcome_list(period_id(period))}

    @router.get(
        "/{period}/outcomes/{report_id}/note",
        summary="A verifier's note, opened (the read is recorded in the audit log first)",
    )
    async def note(
        period: str,
        report_id: str,
        request: Request,
        stores: StoresDep,
        principal: Auditor,
        purpose: Annotated[str, Depends(stated_purpose)],
    ) -> Any:
        outcome = await stores.periods.outcome(period_id(period), report_id)
        if outcome is None:
            raise HTTPException(404, detail={"error": "not_found", "reason": "no outcome yet"})
        await record_access(
            request.app.state.runtime.producer,
            source=SOURCE,
            principal=principal,
            report_id=report_id,
            fields=["verification_note"],
            purpose=purpose,
        )
        return {"report_id": report_id, "note": service.open_note(keyring, outcome)}

    @router.get("/{period}/summary", summary="How many were checked, the share found authentic")
    async def summary(period: str, stores: StoresDep, principal: Reader) -> Any:
        try:
            return await service.summary(
                stores.periods, stores.reports, period_id(period), settings.sample_min_group
            )
        except SampleError as exc:
            raise refusal(exc) from exc

    return router
