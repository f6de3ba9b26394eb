"""/docs is served by each service itself (no CDN), under a policy that refuses inline
scripts; the classifier's staff API has an OpenAPI description of its own."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.classifier import api as classifier_api
from services.classifier import openapi
from services.common.api_docs import ASSETS, asset, docs_html
from services.common.http import install_common
from services.common.settings import ClassifierSettings


async def _ready() -> dict[str, bool]:
    return {}


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = FastAPI(title="Tipline example")
    install_common(app, _ready)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_the_docs_page_loads_nothing_from_another_site(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    addresses = re.findall(r'(?:src|href|data-openapi)="([^"]*)"', page.text)
    assert addresses and all(a.startswith("/") and not a.startswith("//") for a in addresses)
    assert "<script>" not in page.text  # no inline script: every script is a file of its own
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    for address in addresses:
        if address.startswith("/docs/static/"):
            assert (await client.get(address)).status_code == 200, address
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "Tipline example"


async def test_the_cdn_pages_fastapi_would_serve_are_gone(client: httpx.AsyncClient) -> None:
    assert (await client.get("/redoc")).status_code == 404
    assert (await client.get("/docs/static/other.js")).status_code == 404


def test_every_asset_is_shipped_in_the_installed_packages() -> None:
    for name in ASSETS:
        found = asset(name)
        assert found is not None and len(found[0]) > 100, name
    assert "swagger-ui.css" in docs_html("x", "/openapi.json")


def test_the_classifier_documents_every_route_its_staff_api_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIPLINE_ENV", "development")
    served: list[str] = []

    class RecordingApp:
        def page(self, path: str) -> Any:
            served.append(path)
            return lambda view: view

    classifier_api.register(
        RecordingApp(),  # type: ignore[arg-type]
        ClassifierSettings(),
        None,  # type: ignore[arg-type]
        lambda: None,
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
    )
    document = openapi.openapi_document()
    assert served and set(served) <= set(document["paths"])
    post = document["paths"]["/v1/staff/reports/{report_id}/classification"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Reclassification"
    )
    body = document["components"]["schemas"]["Reclassification"]
    assert "reason" in body["required"] and "crime_types" in body["properties"]
