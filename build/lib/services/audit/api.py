"""Audit's HTTP entry point: verify the chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from services.audit.adapters import AuditLog
from services.audit.consumer import TOPICS, make_handler
from services.audit.domain import ChainReport
from services.common.http import install_common
from services.common.runtime import ConsumerRuntime
from services.common.settings import AuditSettings


def create_app(settings: AuditSettings) -> FastAPI:
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
        runtime.start_consuming()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Tipline audit",
        version="1",
        summary="A tamper-evident log of every report event.",
        lifespan=lifespan,
    )

    async def readiness() -> dict[str, bool]:
        return await app.state.runtime.readiness()

    install_common(app, readiness)

    @app.get(
        "/v1/audit/verify",
        response_model=ChainReport,
        tags=["audit"],
        summary="Recompute the hash chain: intact, or the first broken position",
    )
    async def verify(request: Request) -> ChainReport:
        report: ChainReport = await request.app.state.log.verify()
        return report

    return app
