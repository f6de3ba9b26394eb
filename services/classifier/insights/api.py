"""The industry information section's API, on the classifier's web server (as its staff API).

GET /v1/insights/industries?from=YYYY-MM&to=YYYY-MM          top industries by incidents
GET /v1/insights/industries/{industry}?from=&to=             one industry's breakdown
GET /v1/insights/industries/{industry}/entities              recurring entities, counts only
GET /v1/insights/hotspots?from=&to=[&measure=reports]        province × industry far above share
GET /v1/insights/spikes?from=&to=[&method=cusum|c1|c2|c3][&by=province]
GET /v1/insights/entities/{entity}                           an entity's incidents (investigators)

Aggregates are for analysts, supervisors and investigators; `?format=csv` answers CSV with a
header row. An entity's incidents are for investigators (in their scope) and supervisors only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import faust
from fastapi import HTTPException
from faust.web import Request, Response, View

from services.classifier.insights import detection, queries
from services.classifier.insights.adapters import InsightStore
from services.classifier.insights.domain import UNKNOWN
from services.classifier.insights.periods import BadPeriod, Period
from services.classifier.taxonomy import Taxonomy
from services.common.auth import Principal, Role, StaffAuth
from services.common.runtime import ConsumerRuntime

AGGREGATE_READERS = (Role.ANALYST, Role.SUPERVISOR, Role.INVESTIGATOR)
CASE_READERS = (Role.INVESTIGATOR, Role.SUPERVISOR)
ROW_FIELDS = ("reports", "incidents", "official_share", "suppressed")
INDUSTRY_COLUMNS = ("industry", *ROW_FIELDS, "previous_incidents", "incidents_change")
BREAKDOWN_COLUMNS = ("table", "name", "province", *ROW_FIELDS)
HOTSPOT_COLUMNS = ("province", "industry", "incidents", "reports", "expected", "ratio")
SPIKE_COLUMNS = ("industry", "province", "month", "incidents", "expected", "score", "method")
ENTITY_COLUMNS = ("entity", "kind", "reports", "provinces", "summary", "link")


class Problem(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        self.status, self.detail = status, detail


def to_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """A header row, then one line per row; a hidden or undefined figure is an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            cells.append(";".join(value) if isinstance(value, list) else value)
        writer.writerow(["" if v is None else v for v in cells])
    return out.getvalue()


def _period(request: Request) -> Period:
    try:
        return Period.parse(request.query.get("from"), request.query.get("to"))
    except BadPeriod as exc:
        raise Problem(422, [{"field": exc.field, "reason": exc.reason}]) from exc


def _choice(request: Request, name: str, allowed: Sequence[str], default: str) -> str:
    value = request.query.get(name, default)
    if value not in allowed:
        raise Problem(422, [{"field": name, "reason": f"one of {', '.join(allowed)}"}])
    return str(value)


def _breakdown_rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"table": "total", "name": answer["industry"], **answer}]
    for table, name in (
        ("crime_types", "crime_type"),
        ("provinces", "province"),
        ("trend", "month"),
    ):
        rows += [{"table": table, "name": r[name], **r} for r in answer[table]]
    rows += [{"table": "cities", "name": r["city"], **r} for r in answer["cities"]]
    return rows


def register(
    app: faust.App,
    taxonomy: Taxonomy,
    runtime: Callable[[], ConsumerRuntime | None],
    staff_auth: StaffAuth,
    min_cell: int,
) -> None:
    def route(
        roles: Sequence[Role],
        handler: Callable[..., Awaitable[tuple[dict[str, Any], Sequence[str], list[Any]]]],
    ) -> Callable[..., Awaitable[Response]]:
        """Checks the token, then answers JSON, or CSV of the rows under `columns`."""

        async def guarded(view: View, request: Request, **params: Any) -> Response:
            try:
                principal = staff_auth.check(request.headers.get("Authorization"), roles)
                current = runtime()
                if current is None or not current.started.is_set():
                    raise Problem(503, "the read model is not reachable yet; try again shortly")
                store = InsightStore(current.db)
                body, columns, rows = await handler(request, store, principal, **params)
            except HTTPException as exc:
                return view.json({"detail": exc.detail}, status=exc.status_code)
            except Problem as exc:
                return view.json({"detail": exc.detail}, status=exc.status)
            if _choice(request, "format", ("json", "csv"), "json") == "csv":
                return view.text(to_csv(columns, rows), content_type="text/csv")
            return view.json(body)

        return guarded

    def known_industry(name: str) -> str:
        # UNKNOWN: the reports given no industry, a row of the overview like the others.
        if name not in taxonomy.industries and name != UNKNOWN:
            raise Problem(404, f"no industry {name!r}; one of {', '.join(taxonomy.industries)}")
        return name

    async def overview(request: Request, store: InsightStore, _: Principal) -> Any:
        period = _period(request)
        table = await queries.industries(store, period, min_cell)
        body = {
            "period": period.as_dict(),
            "previous_period": period.previous().as_dict(),
            "min_cell": min_cell,
            "industries": table.rows,
            "total": table.total,
        }
        return body, INDUSTRY_COLUMNS, table.rows

    async def one_industry(request: Request, store: InsightStore, _: Principal, name: str) -> Any:
        period = _period(request)
        answer = await queries.industry(store, known_industry(name), period, min_cell)
        body = {"period": period.as_dict(), "min_cell": min_cell, **answer}
        return body, BREAKDOWN_COLUMNS, _breakdown_rows(answer)

    async def hotspots(request: Request, store: InsightStore, _: Principal) -> Any:
        period = _period(request)
        measure = _choice(request, "measure", ("incidents", "reports"), "incidents")
        rows = await queries.hotspots(store, period, min_cell, measure)
        body = {"period": period.as_dict(), "min_cell": min_cell, "measure": measure}
        return {**body, "hotspots": rows}, HOTSPOT_COLUMNS, rows

    async def spikes(request: Request, store: InsightStore, _: Principal) -> Any:
        period = _period(request)
        method = _choice(request, "method", detection.METHODS, "cusum")
        by = _choice(request, "by", ("industry", "province"), "industry")
        rows = await queries.spikes(store, period, min_cell, method, by == "province")
        body = {"period": period.as_dict(), "min_cell": min_cell, "method": method}
        return {**body, "by": by, "spikes": rows}, SPIKE_COLUMNS, rows

    async def entities(request: Request, store: InsightStore, who: Principal, name: str) -> Any:
        analyst = who.role is Role.ANALYST
        table = await queries.recurring_entities(store, known_industry(name), min_cell, analyst)
        body = {
            "industry": name,
            "min_cell": min_cell,
            "entities": table.rows,
            **(table.total or {}),
        }
        return body, ENTITY_COLUMNS, table.rows

    async def entity(request: Request, store: InsightStore, who: Principal, ref: str) -> Any:
        found = await queries.entity_incidents(store, ref, lambda p: who.may_see(p, None))
        if found is None:
            raise Problem(404, "no such entity")
        return found, ("cluster_id", "reports_in_your_scope", "link"), found["incidents"]

    pages: list[tuple[str, Callable[..., Awaitable[Response]]]] = [
        ("/v1/insights/industries", route(AGGREGATE_READERS, overview)),
        ("/v1/insights/industries/{name}", route(AGGREGATE_READERS, one_industry)),
        ("/v1/insights/industries/{name}/entities", route(AGGREGATE_READERS, entities)),
        ("/v1/insights/hotspots", route(AGGREGATE_READERS, hotspots)),
        ("/v1/insights/spikes", route(AGGREGATE_READERS, spikes)),
        ("/v1/insights/entities/{ref}", route(CASE_READERS, entity)),
    ]
    for number, (path, answer) in enumerate(pages):
        _page(app, path, answer, f"InsightsPage{number}")


def _page(app: faust.App, path: str, answer: Callable[..., Awaitable[Response]], name: str) -> None:
    class Page(View):
        async def get(self, request: Request, **params: Any) -> Response:
            return await answer(self, request, **params)

    Page.__name__ = Page.__qualname__ = name
    app.page(path)(Page)


def _query(name: str, description: str, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


_PERIOD = [
    _query("from", "First month, YYYY-MM", required=True),
    _query("to", "Last month, YYYY-MM", required=True),
    _query("format", "json (default) or csv (a header row, then one line per row)"),
]
_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}


def openapi_paths() -> dict[str, Any]:
    """The routes above as the classifier's OpenAPI document lists them."""
    errors = {
        "401": {"description": "No bearer token, or expired, not valid, revoked"},
        "403": {"description": "The role may not (aggregates: analyst, supervisor, investigator)"},
        "404": {"description": "Unknown industry or entity"},
        "422": {"description": "A bad month, period or choice, naming the field"},
        "503": {"description": "The read model is not reachable yet; try again shortly"},
    }

    def get(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "get": {
                "tags": ["industry information"],
                "summary": summary,
                "security": [{"staffToken": []}],
                "parameters": parameters,
                "responses": {"200": {"description": "Counts only; hidden ones null"}, **errors},
            }
        }

    return {
        "/v1/insights/industries": get("Top industries by incidents, with change", _PERIOD),
        "/v1/insights/industries/{name}": get("One industry's breakdown", [_NAME, *_PERIOD]),
        "/v1/insights/industries/{name}/entities": get(
            "Recurring entities of an industry, as counts", [_NAME, _query("format", "json or csv")]
        ),
        "/v1/insights/hotspots": get(
            "Province × industry far above its expected share",
            [*_PERIOD, _query("measure", "incidents (default) or reports")],
        ),
        "/v1/insights/spikes": get(
            "Months where incidents jump",
            [
                *_PERIOD,
                _query("method", "cusum (default), c1, c2 or c3"),
                _query("by", "industry (default) or province"),
            ],
        ),
        "/v1/insights/entities/{ref}": get(
            "An entity's incidents in your scope (investigators, supervisors)",
            [{"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}],
        ),
    }
