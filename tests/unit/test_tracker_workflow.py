"""The tracker's use cases through fakes of their ports: an in-memory case store, a recording
publisher and a fixed clock. What the HTTP layer turns these outcomes into is covered by the
integration tests."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.common import tracking_code
from services.common.auth import Principal, Role
from services.common.crypto import DataKey, Keyring
from services.common.events import (
    STAGE_CHANGED_V1,
    Channel,
    Classification,
    ConclusionKind,
    Envelope,
    ReportSubmitted,
    Stage,
    StageChanged,
    new_event,
)
from services.common.throttle import FailureThrottle
from services.tracker import workflow
from services.tracker.domain import (
    DeadlinePolicy,
    IllegalTransition,
    RoutingTable,
    back_with_investigators,
    overdue_kinds,
)
from services.tracker.errors import install_error_answers
from services.tracker.workflow import (
    CaseFinished,
    CaseNotFound,
    ChangedMeanwhile,
    CodeLookup,
    InvalidField,
    OutOfScope,
    TooManyMessages,
    Tracker,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ROUTING = RoutingTable.from_toml(
    (Path(__file__).parents[2] / "services/tracker/routing.toml").read_text()
)
SECRET = b"test-tracking-code-secret"


# -- fakes of the ports -----------------------------------------------------------------------


def _set(document: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    for parent in parents:
        document = document.setdefault(parent, {})
    document[last] = value


def _furthest(entries: list[dict[str, Any]]) -> str:
    return max((Stage(e["stage"]) for e in entries), key=lambda s: s.rank).value


class FakeCases:
    """The case store's behaviour that the use cases rely on, in a dict."""

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.lose_next_race = False
        self.listing_queries: list[dict[str, Any]] = []

    def _holds(self, report_id: str, event_id: str) -> bool:
        case = self.cases.get(report_id)
        return case is not None and any(e["event_id"] == event_id for e in case["timeline"])

    async def get(self, report_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.cases.get(report_id))

    async def add_entries(
        self,
        report_id: str,
        entries: list[dict[str, Any]],
        tracking_code_hash: str | None = None,
        opening: bool = False,
        also_set: dict[str, Any] | None = None,
    ) -> bool:
        if self._holds(report_id, entries[0]["event_id"]):
            return False
        case = self.cases.setdefault(
            report_id,
            {"_id": report_id, "opened_at": T0, "state": _furthest(entries), "revision": 0},
        )
        case.setdefault("timeline", []).extend(copy.deepcopy(entries))
        for key, value in {**(also_set or {})}.items():
            _set(case, key, value)
        if tracking_code_hash is not None:
            case["tracking_code_hash"] = tracking_code_hash
        return True

    async def open_many(
        self, openings: list[tuple[str, list[dict[str, Any]], str, dict[str, Any]]]
    ) -> set[int]:
        existing = set()
        for position, (report_id, entries, code_hash, fields) in enumerate(openings):
            if report_id in self.cases:
                existing.add(position)
            else:
                await self.add_entries(report_id, entries, code_hash, True, fields)
        return existing

    async def add_to_many(self, additions: list[tuple[str, dict[str, Any]]]) -> set[int]:
        held = set()
        for position, (report_id, entry) in enumerate(additions):
            if not await self.add_entries(report_id, [entry]):
                held.add(position)
        return held

    async def add_with_events_to_many(
        self,
        writes: list[tuple[str, list[dict[str, Any]], dict[str, Any], list[Envelope]]],
        ordered: bool,
    ) -> list[bool | None]:
        results: list[bool | None] = []
        for report_id, entries, fields, outbox in writes:
            if report_id not in self.cases:
                self.cases[report_id] = {
                    "_id": report_id,
                    "opened_at": T0,
                    "timeline": [],
                    "revision": 0,
                }
            results.append(await self.add_unless_held(report_id, entries, fields, outbox))
        return results

    async def add_unless_held(
        self,
        report_id: str,
        entries: list[dict[str, Any]],
        fields: dict[str, Any],
        outbox: list[Envelope],
    ) -> bool:
        case = self.cases.get(report_id)
        if case is None or self._holds(report_id, entries[0]["event_id"]):
            return False
        case["timeline"].extend(copy.deepcopy(entries))
        for key, value in fields.items():
            _set(case, key, value)
        case.setdefault("outbox", []).extend({"id": e.id} for e in outbox)
        case["revision"] += 1
        return True

    async def add_if_in_state(
        self,
        report_id: str,
        states: list[Stage],
        entries: list[dict[str, Any]],
        fields: dict[str, Any],
        outbox: list[Envelope] | None = None,
    ) -> bool:
        case = self.cases.get(report_id)
        if case is None or case["state"] not in [s.value for s in states]:
            return False
        if any(self._holds(report_id, e["event_id"]) for e in entries):
            return False
        case["timeline"].extend(copy.deepcopy(entries))
        for key, value in fields.items():
            _set(case, key, value)
        case.setdefault("outbox", []).extend({"id": e.id} for e in outbox or [])
        case["revision"] += 1
        return True

    async def transition(
        self,
        case: dict[str, Any],
        entry: dict[str, Any],
        fields: dict[str, Any],
        event: Envelope,
        push: dict[str, Any] | None = None,
    ) -> bool:
        stored = self.cases[case["_id"]]
        if self.lose_next_race:
            self.lose_next_race = False
            return False
        if (stored["state"], stored["revision"]) != (case["state"], case.get("revision", 0)):
            return False
        stored["timeline"].append(copy.deepcopy(entry))
        stored.setdefault("outbox", []).append({"id": event.id})
        for key, value in (push or {}).items():
            stored.setdefault(key, []).append(copy.deepcopy(value))
        stored["state"] = entry["stage"]
        for key, value in fields.items():
            _set(stored, key, value)
        stored["revision"] += 1
        return True

    async def add_message(self, report_id: str, message: dict[str, Any]) -> None:
        self.cases[report_id].setdefault("messages", []).append(copy.deepcopy(message))

    async def data_key(self, report_id: str, keyring: Keyring) -> DataKey:
        case = self.cases[report_id]
        if not case.get("data_key"):
            _, case["data_key"] = keyring.new_data_key(report_id)
        return keyring.open_data_key(case["data_key"], report_id)

    async def overdue(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        return [c for c in self.cases.values() if overdue_kinds(c, now)][:limit]

    async def listing(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        self.listing_queries.append(query)
        return list(self.cases.values())[:limit]

    async def load(self, now: datetime) -> list[dict[str, Any]]:
        return []

    async def idle_clusters(self, min_reports: int) -> list[dict[str, Any]]:
        return []

    async def cluster_sizes(self, min_reports: int) -> dict[str, int]:
        return {}

    async def mark_published(self, report_id: str, event_id: str) -> None:
        outbox = self.cases[report_id].get("outbox", [])
        self.cases[report_id]["outbox"] = [p for p in outbox if p["id"] != event_id]


class FakeStatuses:
    def __init__(self, cases: FakeCases) -> None:
        self.cases = cases
        self.forgotten: list[str] = []

    async def by_tracking_code_hash(self, code_hash: str) -> dict[str, Any] | None:
        for case in self.cases.cases.values():
            if case.get("tracking_code_hash") == code_hash:
                return copy.deepcopy(case)
        return None

    def forget(self, report_id: str, code_hash: str | None = None) -> None:
        self.forgotten.append(report_id)


class FakePublisher:
    """Sends at once, like the API's publisher with Kafka there."""

    def __init__(self, cases: FakeCases) -> None:
        self.cases = cases
        self.sent: list[Envelope] = []

    async def publish(self, events: Sequence[Envelope]) -> None:
        self.sent.extend(events)

    async def publish_recorded(self, report_id: str, event: Envelope) -> None:
        self.sent.append(event)
        await self.cases.mark_published(report_id, event.id)

    def stages(self) -> list[str]:
        return [e.data["stage"] for e in self.sent]


class FixedClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def tracker() -> Tracker:
    cases = FakeCases()
    ids = (f"id-{n}" for n in itertools.count(1))
    return Tracker(
        cases=cases,
        statuses=FakeStatuses(cases),
        publisher=FakePublisher(cases),
        clock=FixedClock(),
        keyring=Keyring.new("test-1"),
        routing=ROUTING,
        deadlines=DeadlinePolicy(),
        new_id=lambda: next(ids),
    )


def fakes(t: Tracker) -> tuple[FakeCases, FakePublisher, FixedClock]:
    assert isinstance(t.cases, FakeCases) and isinstance(t.publisher, FakePublisher)
    assert isinstance(t.clock, FixedClock)
    return t.cases, t.publisher, t.clock


def person(role: Role, subject: str = "staff-1", **scope: Any) -> Principal:
    return Principal(
        subject=subject,
        role=role,
        token_id="token-1",
        expires_at=T0 + timedelta(hours=1),
        provinces=frozenset(scope.get("provinces", ())),
        teams=frozenset(scope.get("teams", ())),
    )


BOSS = person(Role.SUPERVISOR, "sup-1")
HUNAN = person(Role.INVESTIGATOR, "inv-hunan", provinces=["hunan"])


def submission(report_id: str = "r1", code: str | None = None) -> ReportSubmitted:
    code = code or tracking_code.generate()
    return ReportSubmitted(
        report_id=report_id,
        channel=Channel.WEB,
        submitted_at=T0 - timedelta(minutes=1),
        tracking_code_hash=tracking_code.lookup_hash(tracking_code.normalize(code) or "", SECRET),
    )


def classified(
    report_id: str, province: str | None, city: str | None, officials: bool = False
) -> tuple[Envelope, StageChanged]:
    change = StageChanged(
        report_id=report_id,
        stage=Stage.CLASSIFIED,
        at=T0,
        classification=Classification(
            crime_types=["extortion"],
            province=province,
            city=city,
            rules_version="1",
            official_involvement=officials,
        ),
    )
    event = new_event(
        source="tipline/classifier", type=STAGE_CHANGED_V1, subject=report_id, data=change
    )
    return event, change


async def routed_case(
    t: Tracker, report_id: str = "r1", province: str | None = "hunan", officials: bool = False
) -> dict[str, Any]:
    await workflow.open_case(t, f"submitted-{report_id}", submission(report_id))
    event, change = classified(report_id, province, "changsha" if province else None, officials)
    await workflow.route_classified_case(t, event, change)
    case = await t.cases.get(report_id)
    assert case is not None
    return case


# -- the tracker's own moves ------------------------------------------------------------------


async def test_a_submission_opens_the_case_received_at_the_clock_time_and_says_so(tracker):
    cases, publisher, _ = fakes(tracker)
    assert await workflow.open_case(tracker, "submitted-1", submission("r1"))
    case = cases.cases["r1"]
    assert [e["stage"] for e in case["timeline"]] == ["submitted", "received"]
    assert case["timeline"][1]["at"] == T0
    assert case["due"]["feedback"] == T0 + timedelta(days=90)
    assert publisher.stages() == ["received"]
    assert publisher.sent[0].time == T0


async def test_a_submission_delivered_twice_opens_one_case_and_acknowledges_it_again(tracker):
    cases, publisher, _ = fakes(tracker)
    assert await workflow.open_case(tracker, "submitted-1", submission("r1"))
    assert not await workflow.open_case(tracker, "submitted-1", submission("r1"))
    assert len(cases.cases["r1"]["timeline"]) == 2
    # The same event id both times: whoever reads the topic sees one acknowledgement.
    assert len({e.id for e in publisher.sent}) == 1


async def test_a_classified_case_goes_to_its_provinces_team_once_even_when_sent_again(tracker):
    cases, _, _ = fakes(tracker)
    await workflow.open_case(tracker, "submitted-r1", submission("r1"))
    event, change = classified("r1", "hunan", "changsha")
    assert await workflow.route_classified_case(tracker, event, change)
    case = cases.cases["r1"]
    assert case["state"] == "assigned"
    assert case["scope"] == {"province": "hunan", "team": "inspection-hunan"}
    assert case["outbox"] == []  # published, so out of the outbox
    assert not await workflow.route_classified_case(tracker, event, change)  # redelivered
    assert [e["stage"] for e in case["timeline"]].count("assigned") == 1


async def test_a_case_implicating_provincial_officials_is_routed_to_the_central_team(tracker):
    case = await routed_case(tracker, officials=True)
    assert case["scope"] == {"province": None, "team": "central-inspection"}
    assert case["timeline"][-1]["routing"]["rule"] == "official_involvement"


# -- staff moves ------------------------------------------------------------------------------


async def test_assigning_to_the_implicated_team_is_refused_with_the_reason(tracker):
    await routed_case(tracker, officials=True)
    with pytest.raises(InvalidField) as refused:
        await workflow.assign(tracker, "r1", BOSS, "inspection-hunan", "Hunan knows the place.")
    assert refused.value.field == "team"
    assert "at least one level above" in refused.value.reason


async def test_assigning_to_a_team_outside_the_routing_table_is_refused_naming_the_team(tracker):
    await routed_case(tracker)
    with pytest.raises(InvalidField) as refused:
        await workflow.assign(tracker, "r1", BOSS, "no-such-team", "A reason.")
    assert (refused.value.field, refused.value.reason) == (
        "team",
        "not a team in the routing table",
    )


async def test_a_supervisor_reassigns_a_case_and_the_reason_stays_sealed(tracker):
    _, publisher, _ = fakes(tracker)
    await routed_case(tracker)
    moved = await workflow.assign(
        tracker, "r1", BOSS, "inspection-guangdong", "The mayor's cousin is in Changsha."
    )
    assert moved["scope"] == {"province": "guangdong", "team": "inspection-guangdong"}
    entry = moved["timeline"][-1]
    assert entry["actor"] == {"kind": "staff", "subject": "sup-1", "role": "supervisor"}
    assert entry["routing"]["rule"] == "supervisor"
    assert b"cousin" not in entry["note"]
    assert publisher.sent[-1].data["team"] == "inspection-guangdong"
    assert all(b"cousin" not in e.to_bytes() for e in publisher.sent)


async def test_closing_a_case_nobody_concluded_is_refused_naming_the_allowed_stages(tracker):
    await routed_case(tracker)
    with pytest.raises(IllegalTransition) as refused:
        await workflow.close(tracker, "r1", BOSS, "Nothing to do.")
    assert refused.value.current == Stage.ASSIGNED
    assert refused.value.target == Stage.CLOSED
    assert refused.value.allowed == [Stage.ASSIGNED, Stage.INVESTIGATING, Stage.CONCLUDED]


async def test_an_investigator_of_another_province_is_told_only_that_it_is_out_of_scope(tracker):
    await routed_case(tracker)
    yunnan = person(Role.INVESTIGATOR, provinces=["yunnan"])
    with pytest.raises(OutOfScope):
        await workflow.start_investigation(tracker, "r1", yunnan, None)
    with pytest.raises(OutOfScope):
        await workflow.start_investigation(tracker, "no-such-case", yunnan, None)


async def test_a_supervisor_asking_for_an_unknown_case_is_told_it_does_not_exist(tracker):
    with pytest.raises(CaseNotFound):
        await workflow.case_in_scope(tracker, "no-such-case", BOSS)


async def test_a_move_someone_else_made_first_is_refused_as_changed_meanwhile(tracker):
    cases, _, _ = fakes(tracker)
    await routed_case(tracker)
    cases.lose_next_race = True
    with pytest.raises(ChangedMeanwhile):
        await workflow.start_investigation(tracker, "r1", HUNAN, None)


async def test_each_move_the_reporter_sees_starts_the_feedback_period_again(tracker):
    _, _, clock = fakes(tracker)
    await routed_case(tracker)
    clock.now = T0 + timedelta(days=60)
    moved = await workflow.start_investigation(tracker, "r1", HUNAN, "Started on the ledger.")
    assert moved["due"]["feedback"] == T0 + timedelta(days=150)
    assert moved["last_feedback_at"] == T0 + timedelta(days=60)


# -- questions and answers --------------------------------------------------------------------


async def asked(t: Tracker, *questions: str) -> list[str]:
    await routed_case(t)
    await workflow.start_investigation(t, "r1", HUNAN, None)
    for text in questions:
        await workflow.ask_reporter(t, "r1", HUNAN, text)
    case = await t.cases.get("r1")
    assert case is not None
    return [m["id"] for m in case["messages"]]


async def test_a_question_waits_on_the_reporter_who_sees_it_but_not_who_asked(tracker):
    ids = await asked(tracker, "Which street is the shop on?")
    case = await tracker.cases.get("r1")
    assert case is not None and case["state"] == "awaiting_reporter"
    assert case["messages"][0]["by"] == "inv-hunan"
    status = await workflow.reporter_status(tracker, case)
    assert status.stage == Stage.AWAITING_REPORTER
    assert status.open_questions == ids
    assert [m.text for m in status.messages] == ["Which street is the shop on?"]
    assert "by" not in status.messages[0].model_dump()


async def test_answering_every_question_puts_the_case_back_with_the_investigators(tracker):
    _, _, clock = fakes(tracker)
    first, second = await asked(tracker, "Which street?", "Which day of the week?")
    due_before = (await tracker.cases.get("r1") or {})["due"]["feedback"]
    clock.now = T0 + timedelta(days=3)
    await workflow.add_reporter_message(tracker, "r1", "Jiefang Road.", first)
    assert (await tracker.cases.get("r1") or {})["state"] == "awaiting_reporter"
    accepted = await workflow.add_reporter_message(tracker, "r1", "Every Friday.", second)
    case = await tracker.cases.get("r1")
    assert case is not None and case["state"] == "investigating"
    assert case["timeline"][-1]["actor"] == {"kind": "reporter"}
    assert accepted.at == T0 + timedelta(days=3)
    # The reporter moved it, not the office: the office's feedback clock is left as it was.
    assert case["due"]["feedback"] == due_before


async def test_an_answer_to_a_question_never_asked_is_refused_naming_in_reply_to(tracker):
    await asked(tracker, "Which street?")
    with pytest.raises(InvalidField) as refused:
        await workflow.add_reporter_message(tracker, "r1", "Jiefang Road.", "not-a-question")
    assert refused.value.field == "in_reply_to"


async def test_a_concluded_case_takes_no_more_messages_from_the_reporter(tracker):
    await routed_case(tracker)
    await workflow.conclude(tracker, "r1", BOSS, ConclusionKind.SUBSTANTIATED, "Proven.", None)
    with pytest.raises(CaseFinished):
        await workflow.add_reporter_message(tracker, "r1", "One more thing.", None)


def test_the_case_goes_back_to_investigating_only_once_no_question_is_left_open():
    messages = [
        {"id": "q1", "kind": "question"},
        {"id": "q2", "kind": "question"},
        {"id": "a1", "kind": "answer", "in_reply_to": "q1"},
    ]
    assert back_with_investigators(Stage.AWAITING_REPORTER, messages, "q2")
    assert not back_with_investigators(Stage.AWAITING_REPORTER, messages, None)
    assert not back_with_investigators(Stage.INVESTIGATING, messages, "q2")


# -- duplicates -------------------------------------------------------------------------------


async def test_a_duplicate_must_name_a_live_case_the_caller_may_see(tracker):
    await routed_case(tracker, "r1")
    await routed_case(tracker, "r2", province="guangdong")

    async def refusal(duplicate_of: str | None, staff: Principal = HUNAN) -> str:
        with pytest.raises(InvalidField) as refused:
            await workflow.conclude(
                tracker, "r1", staff, ConclusionKind.DUPLICATE, "Same gang.", duplicate_of
            )
        assert refused.value.field == "duplicate_of"
        return refused.value.reason

    assert await refusal(None) == "name the case this one duplicates"
    assert await refusal("r1") == "a case cannot duplicate itself"
    assert await refusal("r2") == "no case you may see has this id"  # Guangdong's
    assert await refusal("no-such-case") == "no case you may see has this id"
    with pytest.raises(InvalidField) as refused:
        await workflow.conclude(tracker, "r1", HUNAN, ConclusionKind.SUBSTANTIATED, "Proven.", "r2")
    assert refused.value.reason == "only a duplicate names the case it joins"


async def test_the_reporter_of_a_duplicate_sees_how_the_joined_investigation_goes(tracker):
    await routed_case(tracker, "r1")
    await routed_case(tracker, "r2")
    await workflow.start_investigation(tracker, "r2", HUNAN, None)
    await workflow.conclude(tracker, "r1", HUNAN, ConclusionKind.DUPLICATE, "Same gang.", "r2")
    case = await tracker.cases.get("r1")
    assert case is not None and case["duplicate_of"] == "r2"
    status = await workflow.reporter_status(tracker, case)
    assert status.label["en"] == "Joined an existing investigation"
    assert status.joined_investigation is not None
    assert status.joined_investigation.stage == Stage.INVESTIGATING


# -- staff lists ------------------------------------------------------------------------------


async def test_the_overdue_list_judges_deadlines_at_the_time_asked(tracker):
    await routed_case(tracker)
    assert (await workflow.overdue_cases(tracker, T0 + timedelta(days=89), 10))["cases"] == []
    later = await workflow.overdue_cases(tracker, T0 + timedelta(days=91), 10)
    assert later["as_of"] == T0 + timedelta(days=91)
    assert [(c["report_id"], c["overdue"]) for c in later["cases"]] == [("r1", ["feedback"])]


async def test_an_investigators_work_queue_asks_only_for_their_provinces_and_teams(tracker):
    cases, _, _ = fakes(tracker)
    await workflow.case_listing(tracker, HUNAN, Stage.ASSIGNED, None, 50)
    await workflow.case_listing(tracker, BOSS, None, None, 50)
    assert cases.listing_queries == [
        {
            "$or": [{"scope.province": {"$in": ["hunan"]}}, {"scope.team": {"$in": []}}],
            "state": "assigned",
        },
        {},
    ]


# -- looking a case up by its code ------------------------------------------------------------


async def test_a_code_finds_its_case_however_it_is_typed_and_a_mistyped_one_finds_nothing():
    code = tracking_code.generate()
    cases = FakeCases()
    await cases.add_entries("r1", [{"event_id": "e1", "stage": "submitted", "at": T0}])
    cases.cases["r1"]["tracking_code_hash"] = submission("r1", code).tracking_code_hash
    throttle = FailureThrottle(free_failures=100)
    lookup = CodeLookup(FakeStatuses(cases), throttle, SECRET)
    found = await lookup.find(code.lower().replace("-", " "), "10.0.0.1")
    assert found is not None and found["_id"] == "r1"
    one_off = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert await lookup.find(one_off, "10.0.0.1") is None


async def test_guessing_codes_makes_every_next_lookup_wait_longer():
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    throttle = FailureThrottle(free_failures=2, first_delay=0.5, max_delay=4.0)
    lookup = CodeLookup(FakeStatuses(FakeCases()), throttle, SECRET, sleep=sleep)
    for _ in range(5):
        assert await lookup.find(tracking_code.generate(), "10.0.0.9") is None
    assert waits == [0.5, 1.0]  # the third and later failures cost the next lookup time
    waits.clear()
    assert await lookup.find(tracking_code.generate(), "10.0.0.10") is None
    assert waits == []  # another client is not slowed by this one's guesses


# -- what the HTTP layer answers to each refusal ----------------------------------------------


def answers() -> httpx.AsyncClient:
    """A bare app with the tracker's answers to refusals, raising each on its own path."""
    app = FastAPI()
    install_error_answers(app)
    refusals: dict[str, Exception] = {
        "illegal": IllegalTransition(Stage.ASSIGNED, Stage.CLOSED),
        "invalid": InvalidField("team", "not a team in the routing table"),
        "unknown": CaseNotFound(),
        "scope": OutOfScope(),
        "race": ChangedMeanwhile(),
        "finished": CaseFinished(),
        "full": TooManyMessages(),
    }

    @app.get("/{name}")
    async def refuse(name: str) -> None:
        raise refusals[name]

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tracker")


async def answer_to(name: str) -> httpx.Response:
    async with answers() as client:
        return await client.get(f"/{name}")


async def test_an_illegal_move_answers_409_with_the_current_requested_and_allowed_stages():
    answer = await answer_to("illegal")
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": {
            "error": "illegal_transition",
            "reason": "a case in assigned cannot move to closed",
            "current": "assigned",
            "requested": "closed",
            "allowed": ["assigned", "investigating", "concluded"],
        }
    }


async def test_a_bad_field_answers_422_naming_the_field_and_the_reason():
    answer = await answer_to("invalid")
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": [{"field": "team", "reason": "not a team in the routing table"}]
    }


async def test_unknown_and_out_of_scope_cases_answer_404_to_supervisors_and_403_to_others():
    unknown, scope = await answer_to("unknown"), await answer_to("scope")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": {"error": "not_found", "reason": "no such case"}}
    assert scope.status_code == 403 and scope.json()["detail"]["error"] == "forbidden"


async def test_a_lost_race_answers_409_telling_to_reload_and_try_again():
    answer = await answer_to("race")
    assert answer.status_code == 409
    assert answer.json()["detail"]["error"] == "changed_meanwhile"
    assert "reload it and try again" in answer.json()["detail"]["reason"]


async def test_a_reporter_writing_to_a_finished_or_full_case_is_told_to_make_a_new_report():
    finished, full = await answer_to("finished"), await answer_to("full")
    assert finished.status_code == full.status_code == 409
    assert finished.json()["error"] == "case_finished"
    assert full.json()["error"] == "too_many_messages"
    assert "make a new report" in finished.json()["reason"]
    assert "make a new report" in full.json()["reason"]
    assert finished.headers["cache-control"] == "no-store"
