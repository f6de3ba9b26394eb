"""The OpenAPI description of the classifier's staff API (services/classifier/api.py).

faust's aiohttp web server has no schema of its own, so this is written out here, with the
request body's schema taken from the model the API validates with. Served at /openapi.json,
and read by the /docs page every service shares (services/common/api_docs.py).
"""

from __future__ import annotations

from typing import Any

from services.classifier.api import Reclassification
from services.classifier.insights import api as insights_api
from services.common.access import PURPOSE_HEADER, PURPOSE_MAX, PURPOSE_MIN

TITLE = "Tipline classifier"
SUMMARY = (
    "Sorts each report (crime types, industry, region, priority, official involvement) and "
    "links reports that share entities into clusters."
)

_REPORT_ID = {"name": "report_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PURPOSE = {
    "name": PURPOSE_HEADER,
    "in": "header",
    "required": True,
    "description": "Why you read the sealed details; recorded in the audit log before the read.",
    "schema": {"type": "string", "minLength": PURPOSE_MIN, "maxLength": PURPOSE_MAX},
}
_JSON_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, **_JSON_OBJECT}


_STAFF_ERRORS = {
    "401": _answer("No bearer token, or expired, not valid, revoked"),
    "403": _answer("The role may not, or the report is outside your provinces and teams"),
    "404": _answer("Unknown (supervisors only; others get 403 for it)"),
    "503": _answer("The classifier is still starting; try again in a few seconds"),
}


def _operation(summary: str, ok: str, **extra: Any) -> dict[str, Any]:
    return {
        "tags": ["classification"],
        "summary": summary,
        "security": [{"staffToken": []}],
        "responses": {"200": _answer(ok), **_STAFF_ERRORS},
        **extra,
    }


def openapi_document() -> dict[str, Any]:
    body_schema = Reclassification.model_json_schema(ref_template="#/components/schemas/{model}")
    operations = {"tags": ["operations"]}
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": "1", "summary": SUMMARY},
        "paths": {
            "/v1/staff/reports/{report_id}/classification": {
                "get": _operation(
                    "A report's classification with every reason, and its sealed details",
                    "The classification, its cluster, and the opened details",
                    parameters=[_REPORT_ID, _PURPOSE],
                ),
                "post": _operation(
                    "Re-classify a report (a person decides); published as a stage change",
                    "The classification as changed",
                    parameters=[_REPORT_ID],
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Reclassification"}
                            }
                        },
                    },
                ),
            },
            "/v1/staff/clusters/{cluster_id}": {
                "get": _operation(
                    "A cluster of linked reports, with the members in your scope",
                    "The cluster's size and the members you may see",
                    parameters=[
                        {
                            "name": "cluster_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                )
            },
            **insights_api.openapi_paths(),
            "/healthz": {
                "get": {
                    **operations,
                    "summary": "The process is alive",
                    "responses": {"200": _answer("Alive")},
                }
            },
            "/readyz": {
                "get": {
                    **operations,
                    "summary": "Broker and database are reachable",
                    "responses": {"200": _answer("Ready"), "503": _answer("Not ready")},
                }
            },
            "/metrics": {
                "get": {
                    **operations,
                    "summary": "Prometheus metrics",
                    "responses": {"200": {"description": "Metrics in Prometheus' text format"}},
                }
            },
        },
        "components": {
            "schemas": {"Reclassification": body_schema, **body_schema.pop("$defs", {})},
            "securitySchemes": {
                "staffToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A staff token from `tipline-token issue`",
                }
            },
        },
    }
