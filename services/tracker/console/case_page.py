"""The case page: where the case stands, its timeline, routing and due dates; opening its
private parts with a stated purpose (each read audited by the service that holds it); asking
the reporter a question; and the moves the person's role allows now, with why others are not.
Every page and action looks the case up in the person's scope first: a case outside it gets
the same 403 as one that does not exist."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.common.access import purpose_problem, record_access
from services.common.auth import Role
from services.common.events import ConclusionKind, Stage
from services.common.pages import choose_language
from services.tracker import workflow
from services.tracker.console.accounts import Current
from services.tracker.console.deps import NotAllowed, Worker, form_of, text_of, texts_of
from services.tracker.console.office_apis import ApiRefused, OfficeApis
from services.tracker.console.pages import PAGES
from services.tracker.console.refusals import refusal_words
from services.tracker.deps import AccessProducerDep, OfficeDep, TrackerDep
from services.tracker.domain import IllegalTransition, allowed_next, ordered_timeline
from services.tracker.routes.cases import CaseView, case_view

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

PARTS = ("content", "contact", "classification", "messages")


@dataclass(frozen=True)
class MoveOption:
    name: str  # the form's action
    target: Stage
    roles: tuple[Role, ...]
    allowed: bool = True
    refusal: str = ""  # a texts key
    refusal_args: tuple[str, ...] = ()


MOVES = (
    MoveOption("assign", Stage.ASSIGNED, (Role.SUPERVISOR,)),
    MoveOption("investigate", Stage.INVESTIGATING, (Role.INVESTIGATOR, Role.SUPERVISOR)),
    MoveOption("question", Stage.AWAITING_REPORTER, (Role.INVESTIGATOR, Role.SUPERVISOR)),
    MoveOption("conclude", Stage.CONCLUDED, (Role.INVESTIGATOR, Role.SUPERVISOR)),
    MoveOption("close", Stage.CLOSED, (Role.SUPERVISOR,)),
)


def move_options(role: Role, stage: Stage) -> list[MoveOption]:
    """Each move, and why it is not open to this person now (role first, then the stage)."""
    allowed = allowed_next(stage)
    options = []
    for move in MOVES:
        if role not in move.roles:
            options.append(
                MoveOption(**{**move.__dict__, "allowed": False, "refusal": "refused_role"})
            )
        elif move.target not in allowed:
            options.append(
                MoveOption(
                    **{
                        **move.__dict__,
                        "allowed": False,
                        "refusal": "refused_stage",
                        "refusal_args": (stage.value, move.target.value),
                    }
                )
            )
        else:
            options.append(move)
    return options


def days_left(due: datetime | None, now: datetime) -> int | None:
    return None if due is None else int((due - now).total_seconds() // 86400)


def routing_of(view: CaseView) -> list[dict[str, Any]]:
    return [e for e in view.timeline if e.get("routing")]


async def _case(tracker: workflow.Tracker, report_id: str, who: Current) -> dict[str, Any]:
    try:
        return await workflow.case_in_scope(tracker, report_id, who.principal)
    except (workflow.CaseNotFound, workflow.OutOfScope):
        raise NotAllowed() from None


async def render_case(
    request: Request,
    tracker: workflow.Tracker,
    office: Any,
    who: Current,
    case: dict[str, Any],
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    now = tracker.clock()
    view = case_view(case, now)
    cluster = await cluster_of(request, who, case)
    return PAGES.render(
        request,
        "case.html",
        who=who,
        status_code=status_code,
        case=view,
        labels={k: case.get(k) for k in ("crime_types", "industry", "priority", "cluster_id")},
        timeline=ordered_timeline(view.timeline),
        routing=routing_of(view),
        days={k: days_left(v, now) for k, v in view.due.items()},
        moves=move_options(who.account.role, view.stage),
        teams=sorted(office.routing.teams()),
        outcomes=[k.value for k in ConclusionKind],
        parts=PARTS,
        cluster=cluster,
        **context,
    )


async def cluster_of(request: Request, who: Current, case: dict[str, Any]) -> dict[str, Any]:
    """The linked reports the person may see, from the classifier with their own token: each
    with its labels and how it is tied to the others (similarity, shared entities by kind)."""
    cluster_id = case.get("cluster_id")
    if not cluster_id:
        return {}
    apis: OfficeApis = request.app.state.office_apis
    try:
        found = await apis.cluster(who.session.token, cluster_id)
    except ApiRefused as exc:
        return {"refused": str(exc.status)}
    own: dict[str, Any] = next(
        (m for m in found.get("members", []) if m["report_id"] == case["_id"]), {}
    )
    others = [m for m in found.get("members", []) if m["report_id"] != case["_id"]]
    for member in others:
        member["ties"] = [
            link
            for m in found.get("members", [])
            for link in m.get("links", [])
            if {m["report_id"], link["report_id"]} == {member["report_id"], case["_id"]}
        ]
    return {
        "id": cluster_id,
        "size": found.get("size", len(others) + 1),
        "members": others,
        "outside": found.get("members_outside_your_scope", 0),
        # The case's own entities by kind and count, shown masked until opened.
        "entity_kinds": own.get("entity_kinds"),
    }


@router.get("/console/cases/{report_id}", response_class=HTMLResponse)
async def case_page(
    request: Request, report_id: str, who: Worker, tracker: TrackerDep, office: OfficeDep
) -> HTMLResponse:
    case = await _case(tracker, report_id, who)
    done = request.query_params.get("done")
    notice = f"done_{done}" if done in {m.name for m in MOVES} else None
    return await render_case(request, tracker, office, who, case, notice=notice)


@router.post("/console/cases/{report_id}/open", response_class=HTMLResponse)
async def open_parts(
    request: Request,
    report_id: str,
    who: Worker,
    tracker: TrackerDep,
    office: OfficeDep,
    producer: AccessProducerDep,
) -> HTMLResponse:
    """Opens what was asked for, each read recorded first by the service holding it. The
    answer is this page itself (never a redirect): private text goes into no address."""
    form = await form_of(request, who)
    case = await _case(tracker, report_id, who)
    purpose = text_of(form, "purpose", 400).strip()
    parts = [p for p in texts_of(form, "part") if p in PARTS]
    problem = purpose_problem(purpose) and "purpose_problem"
    if not parts:
        problem = problem or "parts_problem"
    if problem:
        return await render_case(
            request, tracker, office, who, case, status_code=422, open_problem=problem
        )
    apis: OfficeApis = request.app.state.office_apis
    opened: dict[str, Any] = {}
    refused: dict[str, str] = {}
    token = who.session.token
    wanted = [p for p in parts if p in ("content", "contact")]
    try:
        if wanted:
            opened["report"] = await apis.report(token, report_id, wanted, purpose)
        if "classification" in parts:
            opened["classification"] = await apis.classification(token, report_id, purpose)
    except ApiRefused as exc:
        refused["status"], refused["reason"] = str(exc.status), exc.reason
    if "content" in parts and "classification" not in parts and not refused:
        opened["entities"] = await _entities(apis, token, report_id, purpose)
    elif "classification" in opened:
        opened["entities"] = (opened["classification"].get("details") or {}).get("entities")
    if "messages" in parts and not refused:
        await record_access(
            producer,
            source="tipline/tracker",
            principal=who.principal,
            report_id=report_id,
            fields=["messages", "notes"],
            purpose=purpose,
        )
        opened["messages"] = workflow.messages_and_notes(tracker, case)
    log.info("console read", extra={"report_id": report_id, "parts": parts})
    return await render_case(
        request,
        tracker,
        office,
        who,
        case,
        status_code=200 if not refused else int(refused["status"]),
        opened=opened,
        refused=refused,
        purpose=purpose,
    )


async def _entities(
    apis: OfficeApis, token: str | None, report_id: str, purpose: str
) -> list[dict[str, str]] | None:
    """The entities found in the report, opened with the content: through the classifier's
    audited read, with the same purpose (so the log shows both reads). None when that read is
    not available; the content is shown all the same."""
    try:
        found = await apis.classification(token, report_id, purpose)
    except ApiRefused:
        return None
    entities: list[dict[str, str]] = (found.get("details") or {}).get("entities") or []
    return entities


@router.post("/console/cases/{report_id}/duplicates", response_class=HTMLResponse)
async def conclude_duplicates(
    request: Request, report_id: str, who: Worker, tracker: TrackerDep, office: OfficeDep
) -> HTMLResponse:
    """The ticked linked reports concluded as duplicates of this case, each through the
    conclude use case (which checks each one's scope and stage); each refusal says why."""
    form = await form_of(request, who)
    case = await _case(tracker, report_id, who)
    reason = text_of(form, "reason", 2000).strip()
    lang = choose_language(request, text_of(form, "lang", 2) or None)
    results: list[dict[str, str]] = []
    for member in list(dict.fromkeys(texts_of(form, "case")))[:100]:
        try:
            await workflow.conclude(
                tracker, member, who.principal, ConclusionKind.DUPLICATE, reason, report_id
            )
            results.append({"report_id": member, "outcome": "done"})
        except (
            workflow.CaseNotFound,
            workflow.OutOfScope,
            workflow.InvalidField,
            IllegalTransition,
            workflow.ChangedMeanwhile,
        ) as exc:
            why = refusal_words(exc, lang)
            results.append({"report_id": member, "outcome": "refused", "reason": why})
    return await render_case(
        request,
        tracker,
        office,
        who,
        case,
        status_code=200 if results else 422,
        duplicates=results,
        lang=lang,
    )


@router.post("/console/cases/{report_id}/{move}", response_model=None)
async def move_case(
    request: Request,
    report_id: str,
    move: str,
    who: Worker,
    tracker: TrackerDep,
    office: OfficeDep,
) -> Response:
    form = await form_of(request, who)
    case = await _case(tracker, report_id, who)
    option = next(
        (m for m in move_options(who.account.role, Stage(case["state"])) if m.name == move), None
    )
    if option is None:
        raise NotAllowed()
    if who.account.role not in option.roles:
        raise NotAllowed()
    reason = text_of(form, "reason", 2000).strip()
    principal = who.principal
    try:
        if move == "assign":
            await workflow.assign(tracker, report_id, principal, text_of(form, "team", 100), reason)
        elif move == "investigate":
            await workflow.start_investigation(tracker, report_id, principal, reason or None)
        elif move == "question":
            await workflow.ask_reporter(tracker, report_id, principal, _checked_question(form))
        elif move == "conclude":
            outcome = ConclusionKind(text_of(form, "outcome", 40) or "unsubstantiated")
            duplicate_of = text_of(form, "duplicate_of", 100).strip() or None
            await workflow.conclude(tracker, report_id, principal, outcome, reason, duplicate_of)
        else:
            await workflow.close(tracker, report_id, principal, reason)
    except (workflow.InvalidField, IllegalTransition, workflow.ChangedMeanwhile, ValueError) as exc:
        lang = choose_language(request, text_of(form, "lang", 2) or None)
        return await _refused(request, tracker, office, who, report_id, move, exc, lang)
    lang = choose_language(request, text_of(form, "lang", 2) or None)
    return PAGES.redirect(f"/console/cases/{report_id}?lang={lang}&done={move}")


def _checked_question(form: Any) -> str:
    text = text_of(form, "text", 5000).strip()
    if len(text) < 3:
        raise workflow.InvalidField("text", "3 to 5000 characters")
    return text


async def _refused(
    request: Request,
    tracker: workflow.Tracker,
    office: Any,
    who: Current,
    report_id: str,
    move: str,
    exc: Exception,
    lang: str,
) -> HTMLResponse:
    """The case again with why the move was refused, in the page's language: 422 for a field,
    409 for the stage."""
    case = await _case(tracker, report_id, who)
    if isinstance(exc, workflow.InvalidField):
        status, field = 422, exc.field
    elif isinstance(exc, (IllegalTransition, workflow.ChangedMeanwhile)):
        status, field = 409, "stage"
    else:
        status, field = 422, "outcome"
    refusal = {"field": field, "reason": refusal_words(exc, lang)}
    return await render_case(
        request,
        tracker,
        office,
        who,
        case,
        status_code=status,
        refusal=refusal,
        refused_move=move,
        lang=lang,
    )
