"""The auditors' page: the audit chain's check, every read of one report's private data, and
everything one person has read (each read linked to that report's access log),
from the audit service's API with the auditor's own token (the audit service checks the role
itself). Auditors never see report content here."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.tracker.console.deps import Auditor
from services.tracker.console.office_apis import ApiRefused, OfficeApis
from services.tracker.console.pages import PAGES

router = APIRouter(include_in_schema=False)

REPORT_ID = re.compile(r"^[A-Za-z0-9-]{1,100}$")
STAFF_ID = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")  # an account id or a service's name
READS_PER_PAGE = 50


@router.get("/console/audit", response_class=HTMLResponse)
async def audit_page(request: Request, who: Auditor) -> HTMLResponse:
    apis: OfficeApis = request.app.state.office_apis
    token = who.session.token
    context: dict[str, Any] = {}
    try:
        context["chain"] = await apis.chain_check(token)
    except ApiRefused as exc:
        context["chain_refused"] = str(exc.status)
    report_id = (request.query_params.get("report") or "").strip()
    status = 200
    if report_id:
        if not REPORT_ID.match(report_id):
            status, context["report_problem"] = 422, True
        else:
            try:
                context["access"] = await apis.report_access(token, report_id)
            except ApiRefused as exc:
                context["access_refused"] = str(exc.status)
    staff = (request.query_params.get("staff") or "").strip()
    if staff:
        page = request.query_params.get("staff_page") or "1"
        if not STAFF_ID.match(staff) or not page.isdigit() or not 1 <= int(page) <= 10_000:
            status, context["staff_problem"] = 422, True
        else:
            try:
                found = await apis.staff_access(token, staff, int(page), READS_PER_PAGE)
                found["pages"] = max(1, -(-found["total"] // READS_PER_PAGE))
                context["staff_access"] = found
            except ApiRefused as exc:
                context["staff_refused"] = str(exc.status)
    return PAGES.render(
        request,
        "audit.html",
        who=who,
        status_code=status,
        report_id=report_id,
        staff=staff,
        **context,
    )
