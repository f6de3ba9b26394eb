"""The industry information pages: an overview (top industries with their change, official
involvement, the province × industry heat map, hotspots, spikes) and a page per industry, from
the classifier's `/v1/insights/...` with the person's own token, so the classifier applies its
roles and its disclosure control (a hidden count arrives as null and is shown as hidden, never
as 0). Counts only: analysts never see text or entity values here, and an entity's incidents
open only for investigators in scope and supervisors."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.classifier.insights.detection import METHODS
from services.classifier.insights.periods import BadPeriod, Period
from services.common.auth import Role
from services.common.pages import choose_language
from services.common.tokens import scope_ids
from services.tracker.console import insights_charts as charts
from services.tracker.console.accounts import Current
from services.tracker.console.deps import Worker, person
from services.tracker.console.office_apis import ApiRefused, OfficeApis
from services.tracker.console.pages import PAGES
from services.tracker.console.texts import CONSOLE_TEXTS, LABEL_NAMES, label_namer
from services.tracker.deps import OfficeDep

router = APIRouter(include_in_schema=False)

# The roles the classifier's aggregates allow (`insights.api.AGGREGATE_READERS`).
Reader = Annotated[Current, Depends(person(Role.ANALYST, Role.SUPERVISOR, Role.INVESTIGATOR))]
CSV_TABLES = {"industries": "industries", "hotspots": "hotspots", "spikes": "spikes"}
HEAT_LEVELS = 5
ENTITY_REF = re.compile(r"^[0-9a-f]{1,64}$")  # the classifier's opaque hex reference


@dataclass(frozen=True)
class InsightFilter:
    """What the address says: the period, a province to narrow to, the spike method."""

    period: Period
    province: str = ""
    method: str = "cusum"

    def api_params(self) -> dict[str, str]:
        return {"from": self.period.first, "to": self.period.last}

    def query(self, **changes: str) -> dict[str, str]:
        values = {
            "from": self.period.first,
            "to": self.period.last,
            "province": self.province,
            "method": self.method,
            **changes,
        }
        return {k: v for k, v in values.items() if v and not (k == "method" and v == "cusum")}


class FilterProblem(Exception):
    def __init__(self, field: str) -> None:
        self.field = field


def this_quarter(now: datetime) -> Period:
    first = (now.month - 1) // 3 * 3 + 1
    return Period(f"{now.year:04d}-{first:02d}", f"{now.year:04d}-{now.month:02d}")


def read_filter(request: Request, provinces: list[str]) -> InsightFilter:
    q = request.query_params
    if not q.get("from") and not q.get("to"):
        period = this_quarter(datetime.now(UTC))
    else:
        try:
            period = Period.parse(q.get("from"), q.get("to"))
        except BadPeriod as exc:
            raise FilterProblem(exc.field) from exc
    province = q.get("province") or ""
    if province and province not in provinces:
        raise FilterProblem("province")
    method = q.get("method") or "cusum"
    if method not in METHODS:
        raise FilterProblem("method")
    return InsightFilter(period, province, method)


def heat_class(value: int | None, top: int) -> str:
    """A cell's shade, in CSS classes (the policy allows no inline style)."""
    if value is None:
        return "heat-hidden"
    if value == 0 or top == 0:
        return "heat-0"
    return f"heat-{max(1, round(HEAT_LEVELS * value / top))}"


def heat_map(industries: list[str], answers: list[dict[str, Any]], province: str) -> dict[str, Any]:
    """Province rows × industry columns of incidents, from each industry's province table."""
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for name, answer in zip(industries, answers, strict=True):
        for row in answer["provinces"]:
            cells[(row["province"], name)] = row
    provinces = sorted({p for p, _ in cells if not province or p == province})
    top = max((r["incidents"] or 0 for r in cells.values()), default=0)
    rows = []
    for p in provinces:
        line = []
        for name in industries:
            row = cells.get((p, name))
            value = row["incidents"] if row else 0
            hidden = row is not None and "incidents" in row["suppressed"]
            line.append(
                {
                    "industry": name,
                    "value": value,
                    "hidden": hidden,
                    "shade": heat_class(None if hidden else value, top),
                }
            )
        rows.append({"province": p, "cells": line})
    return {"industries": industries, "rows": rows}


def _refusal_status(exc: ApiRefused) -> int:
    return exc.status if exc.status in (403, 404, 422, 503) else 503


async def _overview_data(apis: OfficeApis, token: str | None, f: InsightFilter) -> dict[str, Any]:
    params = f.api_params()
    spike_params = {**params, "method": f.method, **({"by": "province"} if f.province else {})}
    overview, hotspots, spikes = await asyncio.gather(
        apis.insights(token, "industries", params),
        apis.insights(token, "hotspots", params),
        apis.insights(token, "spikes", spike_params),
    )
    names = [row["industry"] for row in overview["industries"]]
    per_industry = await asyncio.gather(
        *(apis.insights(token, f"industries/{name}", params) for name in names)
    )
    if f.province:
        hotspots["hotspots"] = [r for r in hotspots["hotspots"] if r["province"] == f.province]
        spikes["spikes"] = [r for r in spikes["spikes"] if r.get("province") == f.province]
    return {
        "overview": overview,
        "hotspots": hotspots["hotspots"],
        "spikes": spikes["spikes"],
        "heat": heat_map(names, list(per_industry), f.province),
    }


def _page(
    request: Request,
    template: str,
    who: Current,
    f: InsightFilter | None,
    status: int,
    **context: Any,
) -> HTMLResponse:
    lang = choose_language(request)
    return PAGES.render(
        request,
        template,
        who=who,
        status_code=status,
        f=f,
        q=(lambda **changes: urlencode({**(f.query(**changes) if f else {}), "lang": lang})),
        **context,
    )


@router.get("/console/insights", response_class=HTMLResponse)
async def overview_page(request: Request, who: Reader, office: OfficeDep) -> HTMLResponse:
    provinces = scope_ids(office.routing)[0]
    context: dict[str, Any] = {"provinces": provinces, "methods": METHODS}
    try:
        f = read_filter(request, provinces)
    except FilterProblem as exc:
        return _page(request, "insights.html", who, None, 422, problem=exc.field, **context)
    apis: OfficeApis = request.app.state.office_apis
    try:
        data = await _overview_data(apis, who.session.token, f)
    except ApiRefused as exc:
        return _page(
            request, "insights.html", who, f, _refusal_status(exc), refused=exc.status, **context
        )
    label = label_namer(choose_language(request))
    rows = data["overview"]["industries"]
    chart = charts.bars(
        CONSOLE_TEXTS[choose_language(request)]["insights_chart_industries"],
        [label("industries", r["industry"]) for r in rows],
        [r["incidents"] for r in rows],
    )
    return _page(request, "insights.html", who, f, 200, chart=chart, **data, **context)


# Before the page's route, which would take `construction.csv` for an industry's name.
@router.get("/console/insights/industries/{name}.csv")
async def industry_csv(request: Request, name: str, who: Reader, office: OfficeDep) -> Response:
    if name not in LABEL_NAMES["en"]["industries"]:
        return Response("no such industry\n", status_code=404, media_type="text/plain")
    try:
        f = read_filter(request, scope_ids(office.routing)[0])
    except FilterProblem as exc:
        return Response(f"{exc.field}: not accepted\n", status_code=422, media_type="text/plain")
    return await _csv(request, who, f"industries/{name}", f.api_params(), f"{name}-{_span(f)}.csv")


@router.get("/console/insights/industries/{name}", response_class=HTMLResponse)
async def industry_page(
    request: Request, name: str, who: Reader, office: OfficeDep
) -> HTMLResponse:
    provinces = scope_ids(office.routing)[0]
    context: dict[str, Any] = {"provinces": provinces, "methods": METHODS, "industry": name}
    if name not in LABEL_NAMES["en"]["industries"]:
        return _page(request, "insight_industry.html", who, None, 404, unknown=True, **context)
    try:
        f = read_filter(request, provinces)
    except FilterProblem as exc:
        return _page(request, "insight_industry.html", who, None, 422, problem=exc.field, **context)
    apis: OfficeApis = request.app.state.office_apis
    token = who.session.token
    params = f.api_params()
    try:
        answer, entities, spikes = await asyncio.gather(
            apis.insights(token, f"industries/{name}", params),
            apis.insights(token, f"industries/{name}/entities", {}),
            apis.insights(token, "spikes", {**params, "method": f.method, "by": "province"}),
        )
    except ApiRefused as exc:
        return _page(
            request,
            "insight_industry.html",
            who,
            f,
            _refusal_status(exc),
            refused=exc.status,
            **context,
        )
    if f.province:
        answer["cities"] = [r for r in answer["cities"] if r["province"] == f.province]
    words = CONSOLE_TEXTS[choose_language(request)]
    label = label_namer(choose_language(request))
    crime_chart = charts.bars(
        words["insights_chart_crime_types"],
        [label("crime_types", r["crime_type"]) for r in answer["crime_types"]],
        [r["incidents"] for r in answer["crime_types"]],
    )
    province_chart = charts.bars(
        words["insights_chart_provinces"],
        [label("regions", r["province"]) for r in answer["provinces"]],
        [r["incidents"] for r in answer["provinces"]],
    )
    trend_chart = charts.trend(
        words["insights_chart_trend"],
        [r["month"] for r in answer["trend"]],
        [r["incidents"] for r in answer["trend"]],
    )
    return _page(
        request,
        "insight_industry.html",
        who,
        f,
        200,
        answer=answer,
        entities=entities,
        spikes=[
            r
            for r in spikes["spikes"]
            if r["industry"] == name and (not f.province or r.get("province") == f.province)
        ],
        may_open_entities=who.account.role in (Role.INVESTIGATOR, Role.SUPERVISOR),
        crime_chart=crime_chart,
        province_chart=province_chart,
        trend_chart=trend_chart,
        **context,
    )


@router.get("/console/insights/entities/{ref}", response_class=HTMLResponse)
async def entity_page(request: Request, ref: str, who: Worker) -> HTMLResponse:
    """An entity's incidents in the person's scope, each a link to its case; the rest counted."""
    if not ENTITY_REF.match(ref):
        return _page(request, "insight_entity.html", who, None, 404, refused=404)
    apis: OfficeApis = request.app.state.office_apis
    try:
        found = await apis.insights(who.session.token, f"entities/{ref}", {})
    except ApiRefused as exc:
        return _page(
            request, "insight_entity.html", who, None, _refusal_status(exc), refused=exc.status
        )
    return _page(request, "insight_entity.html", who, None, 200, found=found)


def _download(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={**PAGES.headers, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/console/insights.csv")
async def overview_csv(request: Request, who: Reader, office: OfficeDep) -> Response:
    """The overview's tables as the classifier writes them (`?format=csv`), with the
    person's token: `table=industries` (the default), `hotspots` or `spikes`."""
    table = request.query_params.get("table") or "industries"
    try:
        f = read_filter(request, scope_ids(office.routing)[0])
        if table not in CSV_TABLES:
            raise FilterProblem("table")
    except FilterProblem as exc:
        return Response(f"{exc.field}: not accepted\n", status_code=422, media_type="text/plain")
    params = f.api_params()
    if table == "spikes":
        params = {**params, "method": f.method, **({"by": "province"} if f.province else {})}
    return await _csv(request, who, CSV_TABLES[table], params, f"{table}-{_span(f)}.csv")


def _span(f: InsightFilter) -> str:
    return f"{f.period.first}_{f.period.last}"


async def _csv(
    request: Request, who: Current, path: str, params: dict[str, str], filename: str
) -> Response:
    apis: OfficeApis = request.app.state.office_apis
    try:
        body = await apis.insights_csv(who.session.token, path, params)
    except ApiRefused as exc:
        return Response(
            f"{exc.reason}\n", status_code=_refusal_status(exc), media_type="text/plain"
        )
    return _download(body, filename)
