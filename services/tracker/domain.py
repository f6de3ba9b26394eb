"""Tracker's domain: the case's stage machine, routing, deadlines, and what a reporter may see.
No I/O here; every function that needs the time is given `now`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from services.common.events import (
    STAGE_CHANGED_V1,
    Classification,
    ConclusionKind,
    Envelope,
    Stage,
    StageChanged,
    derived_event_id,
    new_event,
)

SOURCE = "tipline/tracker"

# -- the stage machine ------------------------------------------------------------------------

# Which stage may follow which, for a case's workflow. Written once; the API, the consumer and
# the README all read it from here. Reassignment (assigned → assigned, investigating →
# assigned) lets a supervisor move a case; a second question while awaiting an answer stays in
# awaiting_reporter.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.SUBMITTED: frozenset({Stage.RECEIVED}),
    Stage.RECEIVED: frozenset({Stage.CLASSIFIED}),
    Stage.CLASSIFIED: frozenset({Stage.ASSIGNED}),
    Stage.ASSIGNED: frozenset({Stage.ASSIGNED, Stage.INVESTIGATING, Stage.CONCLUDED}),
    Stage.INVESTIGATING: frozenset({Stage.ASSIGNED, Stage.AWAITING_REPORTER, Stage.CONCLUDED}),
    Stage.AWAITING_REPORTER: frozenset(
        {Stage.AWAITING_REPORTER, Stage.INVESTIGATING, Stage.CONCLUDED}
    ),
    Stage.CONCLUDED: frozenset({Stage.CLOSED}),
    Stage.CLOSED: frozenset(),
}

# The audit service's random verification runs beside the workflow: it never moves a case.
VERIFICATION_TRANSITIONS: dict[Stage | None, frozenset[Stage]] = {
    None: frozenset({Stage.SAMPLED_FOR_VERIFICATION}),
    Stage.SAMPLED_FOR_VERIFICATION: frozenset(
        {Stage.VERIFIED, Stage.VERIFICATION_FAILED, Stage.COULD_NOT_VERIFY}
    ),
    Stage.VERIFIED: frozenset(),
    Stage.VERIFICATION_FAILED: frozenset(),
    Stage.COULD_NOT_VERIFY: frozenset(),
}
AUDIT_STAGES = frozenset(VERIFICATION_TRANSITIONS) - {None}

# The stages services record independently before anyone works the case; they can arrive in
# any order, so they are shown in stage order.
INTAKE_STAGES = frozenset({Stage.SUBMITTED, Stage.RECEIVED, Stage.CLASSIFIED})
# No feedback is owed once the reporter has been told the outcome.
FINISHED_STAGES = frozenset({Stage.CONCLUDED, Stage.CLOSED})


class IllegalTransition(Exception):
    def __init__(self, current: Stage, target: Stage) -> None:
        self.current = current
        self.target = target
        self.allowed = allowed_next(current)
        super().__init__(f"a case in {current.value} cannot move to {target.value}")


def allowed_next(current: Stage) -> list[Stage]:
    return sorted(TRANSITIONS.get(current, frozenset()), key=lambda s: s.rank)


def check_transition(current: Stage, target: Stage) -> None:
    """The one check every move of a case passes, staff's and the tracker's own alike."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(current, target)


# Routing assigns only a case that has just been sorted: a case a person has assigned already
# is theirs to move (the store's conditional write holds the case to this stage).
ROUTED_FROM = Stage.CLASSIFIED


def answers_all_questions(messages: list[dict[str, Any]], in_reply_to: str | None) -> bool:
    """Whether the reporter's new message (answering `in_reply_to`, or None) leaves no question
    of the case unanswered: then the case goes back to the investigators."""
    questions = {m["id"] for m in messages if m["kind"] == "question"}
    answered = {m.get("in_reply_to") for m in messages} | {in_reply_to}
    return questions <= answered


def back_with_investigators(
    stage: Stage, messages: list[dict[str, Any]], in_reply_to: str | None
) -> bool:
    """Every question answered while the case waits on the reporter: back to investigating."""
    return stage == Stage.AWAITING_REPORTER and answers_all_questions(messages, in_reply_to)


# -- timeline entries -------------------------------------------------------------------------


class ActorKind(StrEnum):
    STAFF = "staff"
    REPORTER = "reporter"
    ROUTING = "routing"  # the routing table, applied by the tracker
    SERVICE = "service"  # another service's event (intake, classifier, audit)


def timeline_entry(event_id: str, stage: Stage, at: datetime, **details: Any) -> dict[str, Any]:
    """One stored step of the case. `details` holds who (`actor`), why (`routing`, a sealed
    `note`), and what (`team`, `conclusion`, ...). Never put reporter text here unsealed."""
    return {"event_id": event_id, "stage": stage.value, "at": at, **details}


def staff_actor(subject: str, role: str) -> dict[str, str]:
    return {"kind": ActorKind.STAFF.value, "subject": subject, "role": role}


def received_event(submitted_event_id: str, report_id: str, now: datetime) -> Envelope:
    """The tracker's acknowledgement; its id follows from the submission, so a re-run repeats it."""
    return stage_event(
        report_id,
        StageChanged(report_id=report_id, stage=Stage.RECEIVED, at=now),
        event_id=derived_event_id(submitted_event_id, Stage.RECEIVED.value),
    )


def stage_event(report_id: str, change: StageChanged, event_id: str | None = None) -> Envelope:
    """The event of a stage change, sent at the time of the change."""
    event = new_event(
        source=SOURCE, type=STAGE_CHANGED_V1, subject=report_id, data=change, event_id=event_id
    )
    return event.model_copy(update={"time": change.at})


# -- routing ----------------------------------------------------------------------------------

CENTRAL = "central"


class RoutingRule(StrEnum):
    REGION = "region"  # the team covering the report's region
    NO_REGION = "no_region"  # no region recognised: the central team sorts it
    OFFICIAL_INVOLVEMENT = "official_involvement"  # one level above the implicated jurisdiction
    SUPERVISOR = "supervisor"  # reassigned by hand


@dataclass(frozen=True)
class Jurisdiction:
    id: str  # "central", a province id, or "province/city"
    team: str | None
    parent: str | None
    province: str | None  # the province an investigator's scope names; None at central level


@dataclass(frozen=True)
class RoutingDecision:
    team: str
    province: str | None  # whose provincial investigators may read the case
    rule: RoutingRule
    jurisdiction: str  # the jurisdiction whose team got the case
    reason: str  # for the timeline; made from the table and the category, never from content


class RoutingTableError(ValueError):
    pass


@dataclass(frozen=True)
class RoutingTable:
    jurisdictions: dict[str, Jurisdiction]

    @classmethod
    def from_toml(cls, text: str) -> RoutingTable:
        try:
            raw = tomllib.loads(text)
            central_team = str(raw["central"]["team"])
            found = {CENTRAL: Jurisdiction(CENTRAL, central_team, None, None)}
            for province, entry in raw.get("provinces", {}).items():
                found[province] = Jurisdiction(province, entry.get("team"), CENTRAL, province)
                for city, team in entry.get("cities", {}).items():
                    key = f"{province}/{city}"
                    found[key] = Jurisdiction(key, str(team), province, province)
        except (tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise RoutingTableError(
                "a routing table needs [central] team = ..., and [provinces.<id>] team = ..."
            ) from exc
        if not central_team:
            raise RoutingTableError("the central level needs a team")
        return cls(found)

    def teams(self) -> set[str]:
        return {j.team for j in self.jurisdictions.values() if j.team}

    def covering(self, jurisdiction_id: str) -> Jurisdiction:
        """The jurisdiction, or the nearest one above it, that has a team."""
        current = self.jurisdictions[jurisdiction_id]
        while current.team is None and current.parent is not None:
            current = self.jurisdictions[current.parent]
        return current

    def most_specific(self, province: str | None, city: str | None) -> str | None:
        if province and city and f"{province}/{city}" in self.jurisdictions:
            return f"{province}/{city}"
        if province and province in self.jurisdictions:
            return province
        return None

    def jurisdiction_of_team(self, team: str) -> Jurisdiction | None:
        for jurisdiction in self.jurisdictions.values():
            if jurisdiction.team == team:
                return jurisdiction
        return None


def route(
    table: RoutingTable, province: str | None, city: str | None, official_involvement: bool
) -> RoutingDecision:
    where = table.most_specific(province, city)
    if where is None:
        central = table.jurisdictions[CENTRAL]
        assert central.team is not None
        return RoutingDecision(
            team=central.team,
            province=None,
            rule=RoutingRule.NO_REGION,
            jurisdiction=CENTRAL,
            reason="No region recognised in the report; the central team sorts it.",
        )
    covering = table.covering(where)
    assert covering.team is not None
    if not official_involvement:
        return RoutingDecision(
            team=covering.team,
            province=covering.province,
            rule=RoutingRule.REGION,
            jurisdiction=covering.id,
            reason=f"Region {where}: routed to the team covering {covering.id}.",
        )
    # The implicated officials are covered by `covering.team`: go up until another team.
    above = covering
    while above.parent is not None:
        above = table.covering(above.parent)
        if above.team != covering.team:
            break
    assert above.team is not None
    return RoutingDecision(
        team=above.team,
        province=above.province,
        rule=RoutingRule.OFFICIAL_INVOLVEMENT,
        jurisdiction=above.id,
        reason=(
            f"Officials may be involved in {where}, whose team is {covering.team}: routed one "
            f"level up, to the team covering {above.id}."
        ),
    )


def routing_record(decision: RoutingDecision) -> dict[str, str | None]:
    return {
        "rule": decision.rule.value,
        "team": decision.team,
        "jurisdiction": decision.jurisdiction,
        "reason": decision.reason,
    }


def scope(province: str | None, team: str | None) -> dict[str, str | None]:
    """Who may read the case: `Principal.may_see(scope.province, scope.team)`."""
    return {"province": province, "team": team}


def cluster_of(classification: Classification, raw: dict[str, Any]) -> str | None:
    """The cluster of linked reports this one belongs to. Linking is the sifting work's; until
    `Classification` names the field, it is read from the event as sent."""
    value = getattr(classification, "cluster_id", None) or raw.get("cluster_id")
    return str(value) if value else None


# -- deadlines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlinePolicy:
    """The EU whistleblower directive's clock: acknowledge within 7 days, give feedback within
    3 months. Every stage change the reporter sees, made by the office, counts as feedback and
    starts the feedback period again, until the case is concluded."""

    acknowledgement: timedelta = timedelta(days=7)
    feedback: timedelta = timedelta(days=90)

    def on_opening(self, submitted_at: datetime, acknowledged_at: datetime) -> dict[str, Any]:
        return {
            "submitted_at": submitted_at,
            "acknowledged_at": acknowledged_at,
            "due.acknowledgement": submitted_at + self.acknowledgement,
            "due.feedback": acknowledged_at + self.feedback,
        }

    def on_feedback(self, at: datetime, stage: Stage) -> dict[str, Any]:
        due = None if stage in FINISHED_STAGES else at + self.feedback
        return {"last_feedback_at": at, "due.feedback": due}


class OverdueKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    FEEDBACK = "feedback"


def overdue_kinds(case: dict[str, Any], now: datetime) -> list[OverdueKind]:
    """What a case owes the reporter and has not given by `now`."""
    if Stage(case.get("state", Stage.SUBMITTED)) == Stage.CLOSED:
        return []
    due = case.get("due") or {}
    late = []
    ack = due.get("acknowledgement")
    if case.get("acknowledged_at") is None and ack is not None and as_utc(ack) < now:
        late.append(OverdueKind.ACKNOWLEDGEMENT)
    feedback = due.get("feedback")
    if feedback is not None and as_utc(feedback) < now:
        late.append(OverdueKind.FEEDBACK)
    return late


def overdue_filter(now: datetime) -> dict[str, Any]:
    """The same rule as `overdue_kinds`, as a MongoDB query."""
    return {
        "state": {"$ne": Stage.CLOSED.value},
        "$or": [
            {"acknowledged_at": None, "due.acknowledgement": {"$lt": now}},
            {"due.feedback": {"$lt": now}},
        ],
    }


def case_due(case: dict[str, Any]) -> dict[str, datetime | None]:
    due = case.get("due") or {}
    return {
        kind: as_utc(due[kind]) if due.get(kind) else None
        for kind in ("acknowledgement", "feedback")
    }


def case_summary(case: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A case in a staff list: where it stands and what it owes, nothing private."""
    return {
        "report_id": case["_id"],
        "stage": case.get("state"),
        "province": case.get("province"),
        "scope": case.get("scope"),
        "opened_at": as_utc(case["opened_at"]),
        "due": case_due(case),
        "overdue": [k.value for k in overdue_kinds(case, now)],
        "crime_types": case.get("crime_types") or [],
        "industry": case.get("industry"),
        "priority": case.get("priority"),
        "official_involvement": bool(case.get("official_involvement")),
    }


def as_utc(value: datetime) -> datetime:
    """MongoDB hands back naive UTC datetimes unless the client is told otherwise."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# -- what the reporter sees -------------------------------------------------------------------

# Plain words in both languages, nothing from inside the investigation: no categories, no
# team, no names, no routing. Audit stages are the office's own quality check and not shown.
PUBLIC_WORDING: dict[Stage, dict[str, tuple[str, str]]] = {
    Stage.SUBMITTED: {
        "en": ("Submitted", "Your report reached us safely."),
        "zh": ("已提交", "您的举报已安全送达。"),
    },
    Stage.RECEIVED: {
        "en": ("Received", "The office has registered your report."),
        "zh": ("已受理", "我们已登记您的举报。"),
    },
    Stage.CLASSIFIED: {
        "en": ("Sorted for review", "Your report has been sorted and awaits a team."),
        "zh": ("已分类", "您的举报已完成分类，等待分派。"),
    },
    Stage.ASSIGNED: {
        "en": ("Assigned to a team", "Your report has been assigned to an inspection team."),
        "zh": ("已分派", "您的举报已分派给一个督查组。"),
    },
    Stage.INVESTIGATING: {
        "en": ("Under investigation", "Investigators are working on your report."),
        "zh": ("调查中", "调查人员正在核查您的举报。"),
    },
    Stage.AWAITING_REPORTER: {
        "en": (
            "Question for you",
            "Investigators have asked you a question. Answer it here, with your code.",
        ),
        "zh": ("需要您补充", "调查人员向您提出了问题，请凭查询码在此回复。"),
    },
    Stage.CONCLUDED: {
        "en": ("Concluded", "The investigation of your report has ended."),
        "zh": ("已办结", "对您举报的调查已经结束。"),
    },
    Stage.CLOSED: {
        "en": ("Closed", "The case is closed. Thank you for your report."),
        "zh": ("已结案", "案件已结案，感谢您的举报。"),
    },
}

CONCLUSION_WORDING: dict[ConclusionKind, dict[str, tuple[str, str]]] = {
    ConclusionKind.SUBSTANTIATED: {
        "en": ("Concluded: substantiated", "Investigators found that your report was true."),
        "zh": ("已办结：属实", "经调查，您举报的问题属实。"),
    },
    ConclusionKind.UNSUBSTANTIATED: {
        "en": (
            "Concluded: not substantiated",
            "Investigators could not confirm what your report describes.",
        ),
        "zh": ("已办结：未查实", "经调查，未能查实您举报的问题。"),
    },
    ConclusionKind.DUPLICATE: {
        "en": (
            "Joined an existing investigation",
            "Others reported the same matter: your information joined that investigation.",
        ),
        "zh": ("已并入现有调查", "已有其他人举报同一问题，您的信息已并入该调查。"),
    },
    ConclusionKind.REFERRED: {
        "en": (
            "Referred to another authority",
            "Your report was handed to the authority responsible for this matter.",
        ),
        "zh": ("已移送", "您的举报已移送有关主管机关处理。"),
    },
}

LANGUAGES = ("en", "zh")


class PublicStage(BaseModel):
    stage: Stage
    label: dict[str, str]  # by language: "en", "zh"
    description: dict[str, str]
    at: datetime


class PublicMessage(BaseModel):
    id: str
    sender: str  # "investigator" or "reporter"
    kind: str  # "question", "answer", "information"
    text: str
    at: datetime
    in_reply_to: str | None = None


class JoinedInvestigation(BaseModel):
    """For a duplicate: how the investigation it joined is going, in the same plain words."""

    stage: Stage
    label: dict[str, str]


class PublicStatus(BaseModel):
    stage: Stage
    label: dict[str, str]
    history: list[PublicStage]
    messages: list[PublicMessage] = []
    open_questions: list[str] = []  # ids of questions not answered yet
    can_send_messages: bool = False
    next_update_by: datetime | None = None  # when the office owes the reporter news at latest
    joined_investigation: JoinedInvestigation | None = None


class NotFound(BaseModel):
    detail: str


NOT_FOUND = NotFound(detail="No report matches this tracking code. Check the code and try again.")


def wording(stage: Stage, conclusion: str | None = None) -> dict[str, tuple[str, str]]:
    if stage == Stage.CONCLUDED and conclusion is not None:
        return CONCLUSION_WORDING[ConclusionKind(conclusion)]
    return PUBLIC_WORDING[stage]


def ordered_timeline(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first stages in stage order (services record them independently, so under load a
    later one can carry an earlier time), then the workflow in the order it happened."""

    def key(entry: dict[str, Any]) -> tuple[int, int, datetime]:
        stage = Stage(entry["stage"])
        at = as_utc(entry["at"])
        return (0, stage.rank, at) if stage in INTAKE_STAGES else (1, 0, at)

    return sorted(timeline, key=key)


def public_status(
    timeline: list[dict[str, Any]],
    messages: list[PublicMessage] | None = None,
    next_update_by: datetime | None = None,
    joined: JoinedInvestigation | None = None,
) -> PublicStatus:
    history = []
    for entry in ordered_timeline(timeline):
        stage = Stage(entry["stage"])
        if stage in AUDIT_STAGES:
            continue
        words = wording(stage, entry.get("conclusion"))
        history.append(
            PublicStage(
                stage=stage,
                label={lang: words[lang][0] for lang in LANGUAGES},
                description={lang: words[lang][1] for lang in LANGUAGES},
                at=as_utc(entry["at"]),
            )
        )
    current = history[-1]
    messages = messages or []
    answered = {m.in_reply_to for m in messages if m.sender == "reporter" and m.in_reply_to}
    return PublicStatus(
        stage=current.stage,
        label=current.label,
        history=history,
        messages=messages,
        open_questions=[m.id for m in messages if m.kind == "question" and m.id not in answered],
        can_send_messages=current.stage not in FINISHED_STAGES,
        next_update_by=next_update_by if current.stage not in FINISHED_STAGES else None,
        joined_investigation=joined,
    )


def current_public_stage(timeline: list[dict[str, Any]]) -> JoinedInvestigation:
    status = public_status(timeline)
    return JoinedInvestigation(stage=status.stage, label=status.label)


# -- regional load ----------------------------------------------------------------------------


def load_pipeline(now: datetime, week_ago: datetime) -> list[dict[str, Any]]:
    """Per province and team: open cases, new this week, median age, overdue, waiting on the
    reporter. Computed in the database; `$median` is approximate on large groups (t-digest in
    MongoDB), which is enough to see where clues pile up."""
    overdue = {
        "$or": [
            {
                "$and": [
                    {"$eq": [{"$ifNull": ["$acknowledged_at", None]}, None]},
                    {"$lt": [{"$ifNull": ["$due.acknowledgement", now]}, now]},
                ]
            },
            {"$lt": [{"$ifNull": ["$due.feedback", now]}, now]},
        ]
    }
    return [
        {"$match": {"state": {"$ne": Stage.CLOSED.value}}},
        {
            "$group": {
                "_id": {
                    "province": {"$ifNull": ["$province", None]},
                    "team": {"$ifNull": ["$scope.team", None]},
                },
                "open": {"$sum": 1},
                "new_this_week": {"$sum": {"$cond": [{"$gte": ["$opened_at", week_ago]}, 1, 0]}},
                "median_age_ms": {
                    "$median": {
                        "input": {"$subtract": [now, "$opened_at"]},
                        "method": "approximate",
                    }
                },
                "overdue": {"$sum": {"$cond": [overdue, 1, 0]}},
                "awaiting_reporter": {
                    "$sum": {"$cond": [{"$eq": ["$state", Stage.AWAITING_REPORTER.value]}, 1, 0]}
                },
            }
        },
        {"$sort": {"open": -1, "_id.province": 1, "_id.team": 1}},
    ]


UNDER_INVESTIGATION = [
    Stage.INVESTIGATING.value,
    Stage.AWAITING_REPORTER.value,
    Stage.CONCLUDED.value,
]


def idle_clusters_pipeline(min_reports: int) -> list[dict[str, Any]]:
    """Clusters of linked reports, many of them, none of them under investigation yet."""
    return [
        {"$match": {"cluster_id": {"$ne": None}, "state": {"$ne": Stage.CLOSED.value}}},
        {
            "$group": {
                "_id": "$cluster_id",
                "reports": {"$sum": 1},
                "investigated": {
                    "$sum": {"$cond": [{"$in": ["$state", UNDER_INVESTIGATION]}, 1, 0]}
                },
                "provinces": {"$addToSet": "$province"},
                "teams": {"$addToSet": "$scope.team"},
                "oldest": {"$min": "$opened_at"},
            }
        },
        {"$match": {"reports": {"$gte": min_reports}, "investigated": 0}},
        {"$sort": {"reports": -1}},
    ]


def load_row(row: dict[str, Any]) -> dict[str, Any]:
    median_ms = row.get("median_age_ms")
    return {
        "province": row["_id"].get("province"),
        "team": row["_id"].get("team"),
        "open": row["open"],
        "new_this_week": row["new_this_week"],
        "median_age_days": round(median_ms / 86_400_000, 1) if median_ms is not None else None,
        "overdue": row["overdue"],
        "awaiting_reporter": row["awaiting_reporter"],
    }
