"""The supervisors' load page: open cases per province and team (new this week, median age,
overdue, waiting on the reporter), the overdue cases and the idle clusters, through the same
use cases as `/v1/load` and `/v1/cases/overdue`. Every figure links to the matching queue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.tracker import workflow
from services.tracker.console.deps import Supervisor
from services.tracker.console.pages import PAGES
from services.tracker.deps import OfficeDep, TrackerDep

router = APIRouter(include_in_schema=False)

OVERDUE_SHOWN = 50


@router.get("/console/load", response_class=HTMLResponse)
async def load_page(
    request: Request, who: Supervisor, tracker: TrackerDep, office: OfficeDep
) -> HTMLResponse:
    load = await workflow.regional_load(tracker, None, office.idle_cluster_min_reports)
    overdue = await workflow.overdue_cases(tracker, None, OVERDUE_SHOWN)
    return PAGES.render(request, "load.html", who=who, load=load, overdue=overdue["cases"])
