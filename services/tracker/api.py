"""Tracker's HTTP entry point: the reporter's view by tracking code, and the staff's case work.

Reporters: `/v1/track/{code}` shows every stage in plain Chinese and English with the
questions asked; `POST /v1/track/{code}/messages` answers a question or adds information.
Staff: `/v1/cases/...` moves a case through the stage machine (`domain.TRANSITIONS`), each step
recording who, when and why; `/v1/cases/overdue` and `/v1/load` show where work piles up.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from services.common import kafka, mongo, topics, tracking_code
from services.common.access import record_access, stated_purpose
from services.common.auth import (
    Principal,
    Role,
    StaffAuth,
    TokenRegister,
    load_public_key,
    out_of_scope,
    refreshing,
)
from services.common.crypto import DataKey, Keyring
from services.common.events import ConclusionKind, Envelope, Stage, StageChanged, utcnow
from services.common.http import install_common
from services.common.runtime import ConsumerRuntime, ConsumerThread
from services.common.settings import TrackerSettings
from services.common.throttle import FailureThrottle
from services.tracker.adapters import CaseStore, RecentStatuses
from services.tracker.consumer import TOPICS, Workflow, make_handler_factory
from services.tracker.domain import (
    FINISHED_STAGES,
    NOT_FOUND,
    ActorKind,
    DeadlinePolicy,
    IllegalTransition,
    NotFound,
    PublicMessage,
    PublicStatus,
    RoutingRule,
    RoutingTable,
    allowed_next,
    as_utc,
    check_transition,
    current_public_stage,
    ordered_timeline,
    overdue_kinds,
    public_status,
    scope,
    staff_actor,
    stage_event,
    timeline_entry,
)
from services.tracker.web import status_router

log = logging.getLogger(__name__)

READ_POOL_SIZE = 8
OUTBOX_SWEEP_SECONDS = 2.0
# Messages live in the case document (MongoDB caps a document at 16 MB): enough for any real
# exchange, and a bound on what one code holder can pile up.
MAX_MESSAGES_PER_CASE = 500
DEFAULT_ROUTING_FILE = Path(__file__).with_name("routing.toml")

# The URL holds the code: never cache it, never send it on as a referrer.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

Clock = Callable[[], datetime]

WORKERS = (Role.INVESTIGATOR, Role.SUPERVISOR)


# -- request and answer bodies ----------------------------------------------------------------

Reason = Annotated[
    str,
    Field(
        min_length=3,
        max_length=2000,
        description="Why. Kept sealed with the case: it can name people, so it never leaves "
        "the tracker in an event.",
    ),
]


class ReporterMessage(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    in_reply_to: str | None = Field(
        default=None, description="The id of the question this answers; omit to add information."
    )


class MessageAccepted(BaseModel):
    id: str
    at: datetime


class Assign(BaseModel):
    team: str = Field(min_length=1, max_length=100)
    reason: Reason


class StartInvestigation(BaseModel):
    reason: Reason | None = None


class Question(BaseModel):
    text: str = Field(min_length=3, max_length=5000)


class Conclude(BaseModel):
    outcome: ConclusionKind
    reason: Reason
    duplicate_of: str | None = Field(
        default=None, max_length=100, description="The surviving case, for a duplicate."
    )


class Close(BaseModel):
    reason: Reason


class CaseView(BaseModel):
    """A case as staff see it without opening anything private: stages, who, when, routing."""

    report_id: str
    stage: Stage
    allowed_next: list[Stage]
    province: str | None
    scope: dict[str, str | None]
    official_involvement: bool
    conclusion: ConclusionKind | None
    duplicate_of: str | None
    opened_at: datetime
    due: dict[str, datetime | None]
    overdue: list[str]
    messages: int
    timeline: list[dict[str, Any]]


def _conflict(error: IllegalTransition) -> HTTPException:
    return HTTPException(
        status_code=409,
        detail={
            "error": "illegal_transition",
            "reason": str(error),
            "current": error.current.value,
            "requested": error.target.value,
            "allowed": [s.value for s in error.allowed],
        },
    )


def _invalid(field: str, reason: str) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"field": field, "reason": reason}])


def create_app(settings: TrackerSettings, clock: Clock = utcnow) -> FastAPI:
    secret = settings.tracking_code_secret.get_secret_value().encode()
    keyring: Keyring = settings.keyring()
    routing = RoutingTable.from_toml((settings.routing_file or DEFAULT_ROUTING_FILE).read_text())
    deadlines = DeadlinePolicy(
        acknowledgement=timedelta(days=settings.acknowledgement_days),
        feedback=timedelta(days=settings.feedback_days),
    )
    auth = StaffAuth(
        load_public_key(settings.public_key_pem()),
        None,  # the register is set in the lifespan, once the database client exists
        settings.token_revocation_refresh_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Status reads get their own small connection pool: a crowd of reporters refreshing
        # their page must not queue ahead of the consumer that moves their cases forward.
        readers = mongo.connect(settings.mongodb_uri, max_pool_size=READ_POOL_SIZE)
        store = CaseStore(readers[settings.database])
        statuses = RecentStatuses(store)
        auth.register = TokenRegister(readers[settings.staff_database])
        consumer = ConsumerThread(
            lambda: ConsumerRuntime(
                settings,
                name="tracker",
                database=settings.database,
                topic_names=TOPICS,
                handler_factory=make_handler_factory(statuses, Workflow(routing, deadlines)),
            ),
            name="tracker",
        )
        app.state.consumer, app.state.statuses, app.state.store = consumer, statuses, store
        app.state.producer = None
        consumer.start()
        tasks = [asyncio.create_task(_publish_outbox(app, settings, store))]
        try:
            async with refreshing(auth):
                yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if app.state.producer is not None:
                await app.state.producer.stop()
            await asyncio.to_thread(consumer.stop)
            await readers.close()

    app = FastAPI(
        title="Tipline tracker",
        version="1",
        summary="Follow a report with its tracking code; work cases through their stages.",
        lifespan=lifespan,
    )

    async def readiness() -> dict[str, bool]:
        return dict(await app.state.consumer.readiness())

    # Reading a status needs only the database: a Kafka outage must not take the reporters'
    # status page out of rotation (the checks still show it).
    install_common(app, readiness, required=("database",))
    throttle = FailureThrottle(
        free_failures=settings.lookup_free_failures,
        window_seconds=settings.lookup_window_seconds,
        max_delay=settings.lookup_max_delay_seconds,
    )
    app.state.throttle = throttle

    # -- the reporter's side ------------------------------------------------------------------

    async def find_case_by_code(request: Request, code: str) -> dict[str, Any] | None:
        """Every tracking-code lookup goes through here (throttling wraps this one place).
        A mistyped code and an unknown one both give None, and both count as a failed guess."""
        client = throttle.client(request.client.host if request.client else None)
        # Before the lookup, whatever its outcome: the wait says nothing about the code.
        delay = throttle.delay_for(client)
        if delay:
            await asyncio.sleep(delay)
        normalized = tracking_code.normalize(code)
        case: dict[str, Any] | None = None
        if normalized is not None:
            code_hash = tracking_code.lookup_hash(normalized, secret)
            case = await request.app.state.statuses.by_tracking_code_hash(code_hash)
        if case is None:
            throttle.failed(client)
        return case

    def not_found() -> JSONResponse:
        return JSONResponse(
            status_code=404, content=NOT_FOUND.model_dump(), headers=PRIVATE_HEADERS
        )

    @app.get(
        # `path`, so a code with a slash or a trailing slash still gets the same 404 below.
        "/v1/track/{code:path}",
        response_model=PublicStatus,
        responses={404: {"model": NotFound, "description": "Unknown or mistyped code"}},
        tags=["tracking"],
        summary="Every stage of a report so far, the questions asked and the answers given",
    )
    async def track(code: str, request: Request, response: Response) -> Any:
        case = await find_case_by_code(request, code)
        if case is None:
            return not_found()
        response.headers.update(PRIVATE_HEADERS)
        return await reporter_status(request, case)

    async def reporter_status(request: Request, case: dict[str, Any]) -> PublicStatus:
        """What the reporter sees of a case: the JSON API and the status page (web.py)."""
        joined = None
        if case.get("duplicate_of"):
            survivor = await request.app.state.store.get(case["duplicate_of"])
            if survivor is not None and survivor.get("timeline"):
                joined = current_public_stage(survivor["timeline"])
        due = (case.get("due") or {}).get("feedback")
        return public_status(
            case["timeline"],
            messages=_open_messages(case, keyring),
            next_update_by=as_utc(due) if due else None,
            joined=joined,
        )

    # The status page (web.py) looks cases up through the same throttled function.
    app.state.find_case_by_code = find_case_by_code
    app.state.reporter_status = reporter_status

    @app.post(
        "/v1/track/{code}/messages",
        status_code=201,
        response_model=MessageAccepted,
        responses={
            404: {"model": NotFound, "description": "Unknown or mistyped code"},
            409: {"description": "The case is concluded and takes no more messages"},
        },
        tags=["tracking"],
        summary="Answer a question from investigators, or add information",
    )
    async def reporter_message(code: str, body: ReporterMessage, request: Request) -> Any:
        found = await find_case_by_code(request, code)
        if found is None:
            return not_found()
        store: CaseStore = request.app.state.store
        case = await store.get(found["_id"])
        assert case is not None
        if Stage(case["state"]) in FINISHED_STAGES:
            return JSONResponse(
                status_code=409,
                content={
                    "error": "case_finished",
                    "reason": "this case is concluded and takes no more messages; "
                    "to report something new, make a new report",
                },
                headers=PRIVATE_HEADERS,
            )
        if len(case.get("messages", [])) >= MAX_MESSAGES_PER_CASE:
            return JSONResponse(
                status_code=409,
                content={
                    "error": "too_many_messages",
                    "reason": "this case holds as many messages as it can; make a new report "
                    "for anything further",
                },
                headers=PRIVATE_HEADERS,
            )
        questions = {m["id"] for m in case.get("messages", []) if m["kind"] == "question"}
        if body.in_reply_to is not None and body.in_reply_to not in questions:
            raise _invalid("in_reply_to", "no question with this id was asked in this case")
        now = clock()
        key = await store.data_key(case["_id"], keyring)
        message = _sealed_message(
            key,
            sender="reporter",
            kind="answer" if body.in_reply_to else "information",
            text=body.text,
            at=now,
            in_reply_to=body.in_reply_to,
        )
        await store.add_message(case["_id"], message)
        request.app.state.statuses.forget(case["_id"])
        log.info("reporter message stored", extra={"report_id": case["_id"]})
        answered = {m.get("in_reply_to") for m in case.get("messages", [])} | {body.in_reply_to}
        if Stage(case["state"]) == Stage.AWAITING_REPORTER and questions <= answered:
            # Every question is answered: the case is back with the investigators. Not
            # feedback (the reporter moved it), so the office's clock is left as it was.
            await _move(
                request,
                case,
                Stage.INVESTIGATING,
                actor={"kind": ActorKind.REPORTER.value},
                feedback=False,
                quiet_on_race=True,
            )
        return MessageAccepted(id=message["id"], at=now)

    async def add_reporter_message(
        request: Request, code: str, text: str, in_reply_to: str | None
    ) -> Any:
        """For the status page (web.py): the same path as the JSON API's, with its checks.
        Raises pydantic's ValidationError for a bad text, before anything is looked up."""
        body = ReporterMessage(text=text, in_reply_to=in_reply_to)
        return await reporter_message(code, body, request)

    app.state.add_reporter_message = add_reporter_message

    # -- staff: reading ------------------------------------------------------------------------

    async def case_in_scope(
        request: Request, report_id: str, principal: Principal
    ) -> dict[str, Any]:
        case: dict[str, Any] | None = await request.app.state.store.get(report_id)
        if case is None and principal.role is Role.SUPERVISOR:
            raise HTTPException(
                status_code=404, detail={"error": "not_found", "reason": "no such case"}
            )
        case_scope = (case or {}).get("scope") or {}
        if case is None or not principal.may_see(
            case_scope.get("province"), case_scope.get("team")
        ):
            raise out_of_scope()
        return case

    supervisor = Depends(auth.require(Role.SUPERVISOR))
    worker = Depends(auth.require(*WORKERS))
    load_reader = Depends(auth.require(Role.SUPERVISOR, Role.ANALYST))

    @app.get(
        "/v1/cases/overdue",
        tags=["cases"],
        summary="Cases that owe the reporter an acknowledgement or feedback (supervisors)",
    )
    async def overdue(
        request: Request,
        principal: Principal = supervisor,
        as_of: Annotated[
            AwareDatetime | None,
            Query(description="Judge deadlines at this time instead of now, to plan ahead."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> dict[str, Any]:
        now = as_of or clock()
        cases = await request.app.state.store.overdue(now, limit)
        return {"as_of": now, "cases": [_summary(c, now) for c in cases]}

    @app.get(
        "/v1/cases",
        tags=["cases"],
        summary="The cases you may see, oldest first: a team's work queue",
    )
    async def cases(
        request: Request,
        principal: Principal = worker,
        stage: Annotated[Stage | None, Query()] = None,
        team: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if principal.role is not Role.SUPERVISOR:
            query["$or"] = [
                {"scope.province": {"$in": sorted(principal.provinces)}},
                {"scope.team": {"$in": sorted(principal.teams)}},
            ]
        if stage is not None:
            query["state"] = stage.value
        if team is not None:
            query["scope.team"] = team
        now = clock()
        found = await request.app.state.store.listing(query, limit)
        return {"cases": [_summary(c, now) for c in found]}

    @app.get(
        "/v1/load",
        tags=["cases"],
        summary="Open cases, new, age, overdue and waiting, per province and team; idle clusters",
    )
    async def load(
        request: Request,
        principal: Principal = load_reader,
        as_of: Annotated[AwareDatetime | None, Query()] = None,
    ) -> dict[str, Any]:
        now = as_of or clock()
        store: CaseStore = request.app.state.store
        rows = await store.load(now)
        clusters = await store.idle_clusters(settings.idle_cluster_min_reports)
        return {
            "as_of": now,
            "regions": rows,
            "idle_clusters": [
                {
                    "cluster_id": c["_id"],
                    "reports": c["reports"],
                    "provinces": sorted(p for p in c["provinces"] if p),
                    "teams": sorted(t for t in c["teams"] if t),
                    "oldest_opened_at": c["oldest"],
                }
                for c in clusters
            ],
        }

    @app.get("/v1/cases/{report_id}", response_model=CaseView, tags=["cases"])
    async def case_view(report_id: str, request: Request, principal: Principal = worker) -> Any:
        case = await case_in_scope(request, report_id, principal)
        return _case_view(case, clock())

    @app.get(
        "/v1/cases/{report_id}/messages",
        tags=["cases"],
        summary="Messages with the reporter and staff notes (recorded in the audit log)",
    )
    async def case_messages(
        report_id: str,
        request: Request,
        principal: Principal = worker,
        purpose: str = Depends(stated_purpose),
    ) -> dict[str, Any]:
        case = await case_in_scope(request, report_id, principal)
        await record_access(
            request.app.state.producer,
            source="tipline/tracker",
            principal=principal,
            report_id=report_id,
            fields=["messages", "notes"],
            purpose=purpose,
        )
        notes = []
        key = keyring.open_data_key(case["data_key"], report_id) if case.get("data_key") else None
        for entry in case["timeline"]:
            if key is not None and entry.get("note") is not None:
                notes.append(
                    {
                        "event_id": entry["event_id"],
                        "stage": entry["stage"],
                        "at": as_utc(entry["at"]),
                        "by": entry.get("actor"),
                        "note": key.open(_note_field(entry["event_id"]), entry["note"]).decode(),
                    }
                )
        return {
            "messages": [m.model_dump() for m in _open_messages(case, keyring)],
            "notes": notes,
        }

    # -- staff: moving a case on ---------------------------------------------------------------

    async def _move(
        request: Request,
        case: dict[str, Any],
        target: Stage,
        *,
        actor: dict[str, str],
        note: str | None = None,
        details: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
        change: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        feedback: bool = True,
        quiet_on_race: bool = False,
    ) -> dict[str, Any]:
        """One transition: checked against the machine, stored with who/when/why and its event
        in one conditional write, then published (the outbox sweep retries if Kafka is away)."""
        try:
            check_transition(Stage(case["state"]), target)
        except IllegalTransition as exc:
            if quiet_on_race:
                return case
            raise _conflict(exc) from exc
        store: CaseStore = request.app.state.store
        now = clock()
        event = stage_event(
            case["_id"],
            StageChanged(report_id=case["_id"], stage=target, at=now, **(change or {})),
        )
        entry = timeline_entry(event.id, target, now, actor=actor, **(details or {}))
        if note is not None:
            key = await store.data_key(case["_id"], keyring)
            entry["note"] = key.seal(_note_field(event.id), note.encode())
        all_fields = dict(fields or {})
        if feedback:
            all_fields.update(deadlines.on_feedback(now, target))
        push = {"messages": message} if message is not None else None
        if not await store.transition(case, entry, all_fields, event, push):
            if quiet_on_race:
                return case
            raise HTTPException(
                status_code=409,
                detail={
                    "error": "changed_meanwhile",
                    "reason": "someone else moved this case just now; reload it and try again",
                },
            )
        request.app.state.statuses.forget(case["_id"])
        log.info(
            "case moved", extra={"report_id": case["_id"], "event_id": event.id, "stage": target}
        )
        await _publish_now(request.app, store, case["_id"], event)
        updated = await store.get(case["_id"])
        assert updated is not None
        return updated

    @app.post("/v1/cases/{report_id}/assign", response_model=CaseView, tags=["cases"])
    async def assign(
        report_id: str, body: Assign, request: Request, principal: Principal = supervisor
    ) -> Any:
        case = await case_in_scope(request, report_id, principal)
        jurisdiction = routing.jurisdiction_of_team(body.team)
        if jurisdiction is None:
            raise _invalid("team", "not a team in the routing table")
        if case.get("official_involvement"):
            where = routing.most_specific(case.get("province"), case.get("city"))
            implicated = routing.covering(where).team if where else None
            if body.team == implicated:
                raise _invalid(
                    "team",
                    "this case may involve officials covered by this team; assign it to a team "
                    "at least one level above",
                )
        case = await _move(
            request,
            case,
            Stage.ASSIGNED,
            actor=staff_actor(principal.subject, principal.role.value),
            note=body.reason,
            details={
                "team": body.team,
                "routing": {
                    "rule": RoutingRule.SUPERVISOR.value,
                    "team": body.team,
                    "jurisdiction": jurisdiction.id,
                    "reason": "Assigned by a supervisor (the reason is in the sealed note).",
                },
            },
            fields={"scope": scope(jurisdiction.province, body.team)},
            change={
                "team": body.team,
                "province": jurisdiction.province,
                "routing": RoutingRule.SUPERVISOR.value,
            },
        )
        return _case_view(case, clock())

    @app.post("/v1/cases/{report_id}/investigate", response_model=CaseView, tags=["cases"])
    async def investigate(
        report_id: str,
        request: Request,
        body: StartInvestigation | None = None,
        principal: Principal = worker,
    ) -> Any:
        case = await case_in_scope(request, report_id, principal)
        case = await _move(
            request,
            case,
            Stage.INVESTIGATING,
            actor=staff_actor(principal.subject, principal.role.value),
            note=body.reason if body else None,
        )
        return _case_view(case, clock())

    @app.post("/v1/cases/{report_id}/questions", response_model=CaseView, tags=["cases"])
    async def ask(
        report_id: str, body: Question, request: Request, principal: Principal = worker
    ) -> Any:
        case = await case_in_scope(request, report_id, principal)
        try:
            check_transition(Stage(case["state"]), Stage.AWAITING_REPORTER)
        except IllegalTransition as exc:
            raise _conflict(exc) from exc
        key = await request.app.state.store.data_key(report_id, keyring)
        question = _sealed_message(
            key, sender="investigator", kind="question", text=body.text, at=clock()
        )
        question["by"] = principal.subject  # staff see who asked; the reporter never does
        case = await _move(
            request,
            case,
            Stage.AWAITING_REPORTER,
            actor=staff_actor(principal.subject, principal.role.value),
            details={"question_id": question["id"]},
            message=question,
        )
        return _case_view(case, clock())

    @app.post("/v1/cases/{report_id}/conclude", response_model=CaseView, tags=["cases"])
    async def conclude(
        report_id: str, body: Conclude, request: Request, principal: Principal = worker
    ) -> Any:
        case = await case_in_scope(request, report_id, principal)
        survivor_id = None
        if body.outcome == ConclusionKind.DUPLICATE:
            survivor_id = await _surviving_case(request, case, body.duplicate_of, principal)
        elif body.duplicate_of is not None:
            raise _invalid("duplicate_of", "only a duplicate names the case it joins")
        case = await _move(
            request,
            case,
            Stage.CONCLUDED,
            actor=staff_actor(principal.subject, principal.role.value),
            note=body.reason,
            details={"conclusion": body.outcome.value, "duplicate_of": survivor_id},
            fields={"conclusion": body.outcome.value, "duplicate_of": survivor_id},
            change={"conclusion": body.outcome, "duplicate_of": survivor_id},
        )
        return _case_view(case, clock())

    async def _surviving_case(
        request: Request, case: dict[str, Any], survivor_id: str | None, principal: Principal
    ) -> str:
        if not survivor_id:
            raise _invalid("duplicate_of", "name the case this one duplicates")
        if survivor_id == case["_id"]:
            raise _invalid("duplicate_of", "a case cannot duplicate itself")
        survivor = await request.app.state.store.get(survivor_id)
        survivor_scope = (survivor or {}).get("scope") or {}
        if survivor is None or not principal.may_see(
            survivor_scope.get("province"), survivor_scope.get("team")
        ):
            # The same answer for an unknown case and one outside the caller's scope.
            raise _invalid("duplicate_of", "no case you may see has this id")
        if survivor.get("duplicate_of"):
            raise _invalid(
                "duplicate_of",
                f"that case is itself a duplicate of {survivor['duplicate_of']}; name that one",
            )
        if Stage(survivor["state"]) == Stage.CLOSED:
            raise _invalid("duplicate_of", "that case is closed; reopen work on a live case")
        return str(survivor_id)

    @app.post("/v1/cases/{report_id}/close", response_model=CaseView, tags=["cases"])
    async def close(
        report_id: str, body: Close, request: Request, principal: Principal = supervisor
    ) -> Any:
        case = await case_in_scope(request, report_id, principal)
        case = await _move(
            request,
            case,
            Stage.CLOSED,
            actor=staff_actor(principal.subject, principal.role.value),
            note=body.reason,
        )
        return _case_view(case, clock())

    app.include_router(status_router(settings))

    return app


# -- helpers ----------------------------------------------------------------------------------


def _note_field(event_id: str) -> str:
    return f"note:{event_id}"


def _message_field(message_id: str) -> str:
    return f"message:{message_id}"


def _sealed_message(
    key: DataKey,
    *,
    sender: Literal["reporter", "investigator"],
    kind: str,
    text: str,
    at: datetime,
    in_reply_to: str | None = None,
) -> dict[str, Any]:
    message_id = str(uuid.uuid4())
    return {
        "id": message_id,
        "sender": sender,
        "kind": kind,
        "at": at,
        "in_reply_to": in_reply_to,
        "sealed": key.seal(_message_field(message_id), text.encode()),
    }


def _open_messages(case: dict[str, Any], keyring: Keyring) -> list[PublicMessage]:
    messages = case.get("messages") or []
    if not messages:
        return []
    key = keyring.open_data_key(case["data_key"], case["_id"])
    return [
        PublicMessage(
            id=m["id"],
            sender=m["sender"],
            kind=m["kind"],
            text=key.open(_message_field(m["id"]), m["sealed"]).decode(),
            at=as_utc(m["at"]),
            in_reply_to=m.get("in_reply_to"),
        )
        for m in messages
    ]


def _due(case: dict[str, Any]) -> dict[str, datetime | None]:
    due = case.get("due") or {}
    return {
        kind: as_utc(due[kind]) if due.get(kind) else None
        for kind in ("acknowledgement", "feedback")
    }


def _summary(case: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "report_id": case["_id"],
        "stage": case.get("state"),
        "province": case.get("province"),
        "scope": case.get("scope"),
        "opened_at": as_utc(case["opened_at"]),
        "due": _due(case),
        "overdue": [k.value for k in overdue_kinds(case, now)],
    }


def _case_view(case: dict[str, Any], now: datetime) -> CaseView:
    timeline = []
    for entry in ordered_timeline(case.get("timeline", [])):
        shown = {k: v for k, v in entry.items() if k != "note"}
        shown["at"] = as_utc(entry["at"])
        shown["has_note"] = entry.get("note") is not None
        timeline.append(shown)
    state = Stage(case["state"])
    return CaseView(
        report_id=case["_id"],
        stage=state,
        allowed_next=allowed_next(state),
        province=case.get("province"),
        scope=case.get("scope") or {"province": None, "team": None},
        official_involvement=bool(case.get("official_involvement")),
        conclusion=case.get("conclusion"),
        duplicate_of=case.get("duplicate_of"),
        opened_at=as_utc(case["opened_at"]),
        due=_due(case),
        overdue=[k.value for k in overdue_kinds(case, now)],
        messages=len(case.get("messages") or []),
        timeline=timeline,
    )


async def _publish_now(app: FastAPI, store: CaseStore, report_id: str, event: Envelope) -> None:
    """Publishes at once when Kafka is there; otherwise the sweep does it later."""
    producer: AIOKafkaProducer | None = app.state.producer
    if producer is None:
        return
    try:
        await kafka.publish(producer, topics.REPORT_STAGE, event)
    except Exception as exc:
        log.warning(
            "stage event left for the sweep",
            extra={"report_id": report_id, "error": type(exc).__name__},
        )
        return
    await store.mark_published(report_id, event.id)


async def _publish_outbox(app: FastAPI, settings: TrackerSettings, store: CaseStore) -> None:
    """Connects the API's producer (access records and stage events), then publishes whatever
    stage events are still in a case's outbox every few seconds."""
    producer = await kafka.start_producer_when_reachable(settings)
    app.state.producer = producer
    while True:
        try:
            for case in await store.unpublished():
                for pending in case.get("outbox", []):
                    await producer.send_and_wait(
                        topics.REPORT_STAGE, bytes(pending["body"]), key=str(case["_id"]).encode()
                    )
                    await store.mark_published(case["_id"], pending["id"])
        except Exception as exc:  # Kafka or the database away: the next sweep tries again
            log.warning("outbox sweep stopped early", extra={"error": type(exc).__name__})
        await asyncio.sleep(OUTBOX_SWEEP_SECONDS)
