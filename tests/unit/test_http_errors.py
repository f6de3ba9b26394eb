"""The shared 422 shape: the field and the reason, never what was sent."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from services.common.http import install_common


class Payload(BaseModel):
    count: int


async def _ready() -> dict[str, bool]:
    return {}


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = FastAPI()
    install_common(app, _ready)

    @app.post("/payload")
    async def take(payload: Payload) -> dict[str, int]:
        return {"count": payload.count}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _post(client: httpx.AsyncClient, body: str) -> httpx.Response:
    return await client.post(
        "/payload", content=body.encode(), headers={"content-type": "application/json"}
    )


async def test_a_body_that_is_not_json_is_named_as_such_with_where_it_breaks(
    client: httpx.AsyncClient,
) -> None:
    answer = await _post(client, '{\n  "count": 1,,\n  "secret": "湖南"}')
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["field"] == "body"
    assert problem["reason"].startswith("the body is not valid JSON: expecting property name")
    assert problem["reason"].endswith("at line 2, column 14 (character 15)")
    assert "湖南" not in answer.text and "secret" not in answer.text


async def test_a_wrong_field_is_still_named_by_its_field(client: httpx.AsyncClient) -> None:
    answer = await _post(client, '{"count": "many"}')
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "count"
    assert "many" not in answer.text


async def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/payload", content=b'{"count": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {"field": "body", "reason": "the body is not valid UTF-8 (at byte 11)"}
    ]


async def test_nesting_ten_thousand_deep_is_a_422_naming_the_body(
    client: httpx.AsyncClient,
) -> None:
    answer = await _post(client, "[" * 10_000 + "]" * 10_000)
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem == {"field": "body", "reason": "the body nests arrays or objects too deeply"}


async def test_a_number_of_100_000_digits_is_a_422_naming_the_body(
    client: httpx.AsyncClient,
) -> None:
    answer = await _post(client, '{"count": ' + "9" * 100_000 + "}")
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["field"] == "body" and "too many digits" in problem["reason"]
    assert "9999" not in answer.text


async def test_the_openapi_documents_the_field_reason_shape_not_fastapis(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in str(schema)
    responses = schema["paths"]["/payload"]["post"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FieldProblems"
    }
    for status in ("400", "408", "413", "429", "431", "503"):
        assert status in responses
    assert "Retry-After" in responses["429"]["headers"]
    assert "Retry-After" in responses["503"]["headers"]
