"""The queue: the cases the signed-in person may see, filtered by what the address says, sorted,
paged, with counts per stage, and exported as CSV (ids, stages, labels and dates, never text).
A plain GET form, so it works without JavaScript and a view can be bookmarked or shared."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.common.pages import choose_language
from services.common.tokens import scope_ids
from services.tracker import workflow
from services.tracker.console.deps import Supervisor, Worker, form_of, text_of, texts_of
from services.tracker.console.pages import PAGES
from services.tracker.console.refusals import reason_words, refusal_words
from services.tracker.deps import OfficeDep, StoreDep, TrackerDep
from services.tracker.domain import IllegalTransition
from services.tracker.queue import (
    CLUSTER_SIZES,
    PAGE_SIZES,
    PRIORITIES,
    SORTS,
    WORK_STAGES,
    QueueFilter,
    QueueProblem,
    parse_filter,
)

router = APIRouter(include_in_schema=False)

CSV_COLUMNS = (
    "report_id",
    "stage",
    "province",
    "team",
    "crime_types",
    "industry",
    "priority",
    "official_involvement",
    "opened_at",
    "due_feedback",
    "overdue",
)


def href(f: QueueFilter, lang: str, path: str = "/console/queue", **changes: Any) -> str:
    return f"{path}?{urlencode({**f.query_params(**changes), 'lang': lang})}"


@router.get("/console/queue", response_class=HTMLResponse)
async def queue(
    request: Request, who: Worker, tracker: TrackerDep, office: OfficeDep, store: StoreDep
) -> HTMLResponse:
    problem = None
    try:
        f = parse_filter(request.query_params)
    except QueueProblem as exc:
        problem, f = exc, QueueFilter()
    page = await workflow.case_queue(tracker, who.principal, f)
    table = office.routing
    labels = await store.labels()
    lang = choose_language(request)
    problem_words = reason_words(problem.reason, lang) if problem else ""
    return PAGES.render(
        request,
        "queue.html",
        who=who,
        status_code=422 if problem else 200,
        problem=problem,
        problem_words=problem_words,
        page=page,
        f=f,
        href=href,
        csv_href=href(f, lang, "/console/queue.csv", page=1),
        back=urlencode({**f.query_params(), "lang": lang}),
        stages=[s.value for s in WORK_STAGES],
        priorities=PRIORITIES,
        sorts=list(SORTS),
        sizes=PAGE_SIZES,
        cluster_sizes=CLUSTER_SIZES,
        provinces=scope_ids(table)[0],
        teams=scope_ids(table)[1],
        crime_types=labels["crime_types"],
        industries=labels["industries"],
    )


def csv_rows(cases: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in cases:
        writer.writerow(
            [
                c["report_id"],
                c["stage"],
                c.get("province") or "",
                (c.get("scope") or {}).get("team") or "",
                ";".join(c.get("crime_types") or []),
                c.get("industry") or "",
                c.get("priority") or "",
                "yes" if c.get("official_involvement") else "no",
                c["opened_at"].isoformat(),
                c["due"]["feedback"].isoformat() if c["due"].get("feedback") else "",
                ";".join(c.get("overdue") or []),
            ]
        )
    return out.getvalue()


MAX_EXPORT = 10_000


@router.get("/console/queue.csv")
async def queue_csv(request: Request, who: Worker, tracker: TrackerDep) -> Response:
    """Every case of the current view (up to 10,000), not only the page shown."""
    try:
        f = parse_filter({**request.query_params, "page": "1", "size": str(PAGE_SIZES[0])})
    except QueueProblem as exc:
        return Response(f"{exc.field}: {exc.reason}\n", status_code=422, headers=PAGES.headers)
    cases: list[dict[str, Any]] = []
    page_number = 1
    while len(cases) < MAX_EXPORT:
        step = QueueFilter(**{**f.__dict__, "page": page_number, "size": PAGE_SIZES[-1]})
        page = await workflow.case_queue(tracker, who.principal, step)
        cases += page.cases
        if page_number >= page.pages:
            break
        page_number += 1
    return Response(
        csv_rows(cases),
        media_type="text/csv; charset=utf-8",
        headers={**PAGES.headers, "Content-Disposition": 'attachment; filename="queue.csv"'},
    )


MAX_BULK = 100


@router.post("/console/queue/assign", response_class=HTMLResponse)
async def bulk_assign(request: Request, who: Supervisor, tracker: TrackerDep) -> HTMLResponse:
    """Several cases to one team, each through the same use case as one at a time; each
    refusal is told with its reason, and the others are assigned all the same."""
    form = await form_of(request, who)
    ids = list(dict.fromkeys(texts_of(form, "case")))[:MAX_BULK]
    team, reason = text_of(form, "team", 100), text_of(form, "reason", 2000).strip()
    back = text_of(form, "back", 2000)
    lang = choose_language(request, text_of(form, "lang", 2) or None)
    results: list[dict[str, str]] = []
    for report_id in ids:
        try:
            await workflow.assign(tracker, report_id, who.principal, team, reason)
            results.append({"report_id": report_id, "outcome": "done"})
        except (
            workflow.CaseNotFound,
            workflow.OutOfScope,
            workflow.InvalidField,
            IllegalTransition,
            workflow.ChangedMeanwhile,
        ) as exc:
            why = refusal_words(exc, lang)
            results.append({"report_id": report_id, "outcome": "refused", "reason": why})
    if not ids:
        results = []
    back_href = f"/console/queue?{back}" if back and not back.startswith(("/", "http")) else ""
    return PAGES.render(
        request,
        "bulk.html",
        who=who,
        lang=lang,
        status_code=200 if ids else 422,
        results=results,
        team=team,
        back_href=back_href or "/console/queue",
    )
