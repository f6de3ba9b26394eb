"""What a service answers at its root: its name, what it does and its main addresses, so a
person (or a tool) that opens it learns where to go instead of getting a 404."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request

# Every service serves these (services/common/http.py and the classifier's own pages).
OPERATIONS_LINKS = {
    "api_docs": "/docs",
    "openapi": "/openapi.json",
    "health": "/healthz",
    "readiness": "/readyz",
    "metrics": "/metrics",
}


def service_index(name: str, summary: str, links: Mapping[str, str]) -> dict[str, Any]:
    return {"service": name, "summary": summary, "links": {**links, **OPERATIONS_LINKS}}


def wants_html(request: Request) -> bool:
    """A browser asks for a page first; tools (curl, httpx) accept anything, and get JSON."""
    return "text/html" in request.headers.get("accept", "")


def index_router(name: str, summary: str, links: Mapping[str, str]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def index() -> dict[str, Any]:
        return service_index(name, summary, links)

    return router
