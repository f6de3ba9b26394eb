"""Audit's HTTP entry point: verify the chain, list who read a report's private data, and run
the monthly sample (services/audit/sample/api.py)."""

# No `from __future__ import annotations` here: FastAPI must evaluate the
# Annotated[..., Depends(staff_auth.require(...))] parameters inside create_app, where they live.
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from pydantic import BaseModel

from services.audit.adapters import AuditLog
from services.audit.consumer import TOPICS, make_handler
from services.audit.domain import ChainReport
from services.audit.sample.api import sample_router
from services.common.auth import (
    Principal,
    Role,
    StaffAuth,
    TokenRegister,
    load_public_key,
    refreshing,
)
from services.common.http import install_common
from services.common.limits import install_limits
from services.common.runtime import ConsumerRuntime
from services.common.service_index import index_router
from services.common.settings import AuditSettings


class AccessRecord(BaseModel):
    position: int
    hash: str
    report_id: str
    staff: str
    role: str
    token_id: str
    fields: list[str]
    purpose: str
    at: str


class ReportAccess(BaseModel):
    report_id: str
    reads: list[AccessRecord]


class StaffAccess(BaseModel):
    staff: str
    total: int
    page: int
    size: int
    reads: list[AccessRecord]


def create_app(settings: AuditSettings) -> FastAPI:
    staff_auth = StaffAuth(
        load_public_key(settings.public_key_pem()),
        register=None,
        refresh_seconds=settings.token_revocation_refresh_seconds,
    )
    keyring = settings.keyring()  # seals verifiers' notes

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ConsumerRuntime(
            settings,
            name="audit",
            database=settings.database,
            topic_names=TOPICS,
            handler_factory=make_handler,
        )

        app.state.runtime = runtime
        app.state.log = AuditLog(runtime.db)
        staff_auth.register = TokenRegister(runtime.client[settings.staff_database])
        runtime.start_consuming()
        try:
            async with refreshing(staff_auth):
                yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Tipline audit",
        version="1",
        summary="A tamper-evident log of every report event, and the monthly sample.",
        lifespan=lifespan,
    )

    async def readiness() -> dict[str, bool]:
        return await app.state.runtime.readiness()

    install_common(app, readiness)
    install_limits(app, settings)
    app.include_router(
        index_router(
            "audit",
            "A tamper-evident log of every report event, and of every read of a report.",
            {
                "verify": "/v1/audit/verify",
                "report_access": "/v1/audit/reports/{id}/access",
                "staff_access": "/v1/audit/staff/{subject}/access",
            },
        )
    )

    @app.get(
        "/v1/audit/verify",
        response_model=ChainReport,
        tags=["audit"],
        summary="Recompute the hash chain: intact, or the first broken position",
    )
    async def verify(
        request: Request,
        principal: Annotated[Principal, Depends(staff_auth.require(Role.AUDITOR, Role.SUPERVISOR))],
    ) -> ChainReport:
        report: ChainReport = await request.app.state.log.verify()
        return report

    @app.get(
        "/v1/audit/reports/{report_id}/access",
        response_model=ReportAccess,
        tags=["audit"],
        summary="Every read of one report's private data: who, role, fields, purpose, when",
    )
    async def report_access(
        report_id: str,
        request: Request,
        principal: Annotated[Principal, Depends(staff_auth.require(Role.AUDITOR))],
    ) -> Any:
        # An unknown report and a report nobody has read look the same: an empty list.
        reads = await request.app.state.log.access_to(report_id)
        return {"report_id": report_id, "reads": reads}

    @app.get(
        "/v1/audit/staff/{staff}/access",
        response_model=StaffAccess,
        tags=["audit"],
        summary="Everything one person has read: each read of private data, newest first, paged",
    )
    async def staff_access(
        request: Request,
        principal: Annotated[Principal, Depends(staff_auth.require(Role.AUDITOR))],
        staff: Annotated[str, Path(min_length=1, max_length=200)],
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Any:
        # `staff` is a token's subject (an account id, or a service's name). Nobody who has
        # read nothing and nobody at all look the same: no reads.
        total, reads = await request.app.state.log.read_by(staff, (page - 1) * size, size)
        return {"staff": staff, "total": total, "page": page, "size": size, "reads": reads}

    app.include_router(sample_router(staff_auth, settings, keyring))
    return app
