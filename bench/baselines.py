"""Reference servers for the intake benchmark: `python -m bench.baselines bare|naive --port P`.

- bare: FastAPI validates the same `ReportIn` body and answers 201. The ceiling for a Python
  endpoint on this machine.
- naive: the same, plus one `insert_one` per request through pymongo.AsyncMongoClient into the
  same MongoDB-protocol server (its own database). What a straightforward intake would do.

Both run like intake does: uvicorn, one worker, default (uvloop/httptools) loop, no access log.
"""

from __future__ import annotations

import argparse
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from pymongo import AsyncMongoClient

from services.intake.reports.domain import ReportIn

NAIVE_DATABASE = "bench_naive_baseline"


def _answer() -> dict[str, str]:
    code = secrets.token_hex(10).upper()
    return {
        "tracking_code": code,
        "status_url": f"http://127.0.0.1/v1/track/{code}",
        "submitted_at": datetime.now(UTC).isoformat(),
    }


def bare_app() -> FastAPI:
    app = FastAPI(title="bench: bare")

    @app.post("/v1/reports", status_code=status.HTTP_201_CREATED)
    async def submit(report: ReportIn) -> dict[str, str]:
        return _answer()

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def naive_app(mongodb_uri: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=5000, appname="bench-naive"
        )
        await client.drop_database(NAIVE_DATABASE)  # a fresh, empty collection every run
        app.state.client = client
        app.state.reports = client[NAIVE_DATABASE]["reports"]
        try:
            yield
        finally:
            await client.close()

    app = FastAPI(title="bench: naive", lifespan=lifespan)

    @app.post("/v1/reports", status_code=status.HTTP_201_CREATED)
    async def submit(report: ReportIn, request: Request) -> dict[str, str]:
        document = {
            "_id": str(uuid.uuid4()),
            "received_at": datetime.now(UTC),
            **report.model_dump(mode="python", exclude_none=True),
        }
        await request.app.state.reports.insert_one(document)
        return _answer()

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        try:
            await request.app.state.client.admin.command("ping")
        except Exception:
            return JSONResponse({"status": "not ready"}, status_code=503)
        return JSONResponse({"status": "ready"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=("bare", "naive"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mongodb-uri", default="mongodb://127.0.0.1:27017/")
    args = parser.parse_args()
    app = bare_app() if args.kind == "bare" else naive_app(args.mongodb_uri)
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, workers=1, access_log=False, log_level="warning"
    )


if __name__ == "__main__":
    main()
