"""The OpenAPI documents the error answers the services really give (docs/limits.md).

FastAPI documents every 422 as its `HTTPValidationError`, which no route sends: ours name the
field and the reason. This rewrites each operation's error responses to the shapes sent, and
adds the answers every route can give from the server's limits (408, 413, 429, 431, 503), the
staff routes' 401/403, and 404/409 where a route can refuse that way.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

# A parameter a route checks itself (for its own reason) but that every request must carry.
REQUIRED_MARK = "x-tipline-required"

FIELD_PROBLEM = {
    "type": "object",
    "required": ["field", "reason"],
    "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
}
FIELD_PROBLEMS = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}}
    },
}
REFUSAL = {
    "type": "object",
    "required": ["error", "reason"],
    "properties": {"error": {"type": "string"}, "reason": {"type": "string"}},
}
PROBLEM = {
    "description": "What was refused and what to do: `detail` holds the field problems, or "
    "an `error` and `reason`, or a sentence; some refusals carry `error` and `reason` at the "
    "top level.",
    "anyOf": [
        {
            "type": "object",
            "required": ["detail"],
            "properties": {
                "detail": {
                    "anyOf": [
                        {"type": "string"},
                        {"$ref": "#/components/schemas/Refusal"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
                    ]
                }
            },
        },
        {"$ref": "#/components/schemas/Refusal"},
    ],
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}

DESCRIPTIONS = {
    400: "The body could not be taken as sent (an upload cut off); nothing was kept",
    401: "No valid staff token",
    403: "Wrong role, or outside your provinces and teams",
    404: "Not found (an unknown code, report, case or period)",
    408: "The request's headers or body stopped arriving; nothing was kept. Send it again",
    409: "Refused in the current state (the body says why and what is allowed)",
    413: "The body is over this route's limit; it was not read",
    422: "A field is missing or invalid, or the body is not JSON, not UTF-8, nested too "
    "deeply or holds a number with too many digits: each problem names the field and why",
    429: "Too many requests or connections at a time from this client, or too many unknown "
    "tracking codes lately: retry after Retry-After seconds",
    431: "The request line and headers are over the limit",
    503: "The database (or, for an audited read, Kafka) cannot be reached just now: retry "
    "after Retry-After seconds",
}
FIELD_SHAPED = {400, 408, 413, 422}
EVERY_ROUTE = (408, 429, 431, 503)
WITH_RETRY_AFTER = {429, 503}


def _answer(status: int) -> dict[str, Any]:
    schema = "FieldProblems" if status in FIELD_SHAPED else "Problem"
    answer: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "Refused"),
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    if status in WITH_RETRY_AFTER:
        answer["headers"] = RETRY_AFTER
    return answer


def _statuses(operation: dict[str, Any], method: str, path: str, staff: bool) -> set[int]:
    statuses = set(EVERY_ROUTE)
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation or method in ("post", "put", "patch"):
        statuses |= {400, 413}
    if staff:
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if staff and method == "post":
        statuses.add(409)
    return statuses


def _parameter_as_sent(parameter: dict[str, Any]) -> None:
    """A parameter is left out to mean None: the text `null` is not a value of it. And one
    marked REQUIRED_MARK is required."""
    schema = parameter.get("schema", {})
    if schema.pop(REQUIRED_MARK, False):
        parameter["required"] = True
    branches = schema.get("anyOf")
    if branches and {"type": "null"} in branches:
        kept = [branch for branch in branches if branch != {"type": "null"}]
        del schema["anyOf"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept


def document_errors(app: FastAPI) -> None:
    """Replaces `app.openapi` with one whose error answers are the ones sent."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        schemas.update(
            FieldProblem=FIELD_PROBLEM,
            FieldProblems=FIELD_PROBLEMS,
            Refusal=REFUSAL,
            Problem=PROBLEM,
        )
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                for parameter in operation.get("parameters", []):
                    _parameter_as_sent(parameter)
                responses = operation.setdefault("responses", {})
                # Staff routes carry the staff token's scheme (services/common/auth.py).
                wanted = _statuses(operation, method, path, "security" in operation)
                wanted |= {int(code) for code in responses if code.isdigit() and int(code) >= 400}
                for status in sorted(wanted):
                    given = responses.get(str(status), {})
                    answer = _answer(status)
                    if given.get("description"):
                        answer["description"] = given["description"]
                    if "content" in given and status not in FIELD_SHAPED:
                        answer["content"] = given["content"]  # a route's own model
                    responses[str(status)] = answer
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
