"""A case's whole life through the tracker's API, as staff drive it and the reporter sees it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from deploy.local.stack import Stack
from services.common import topics
from services.common.events import (
    STAGE_CHANGED_V1,
    Classification,
    Stage,
    StageChanged,
    new_event,
)
from tests.integration.helpers import (
    REPORT,
    mongo_client,
    produce,
    read_topic,
    report_id_of,
    staff,
    submit,
    track,
    wait_for_stage,
    wait_until,
)

PURPOSE = {"X-Access-Purpose": "Following up the reporter's answer for case work"}


def hunan_investigator(stack: Stack) -> dict[str, str]:
    return staff(stack, "investigator", subject="inv-hunan", provinces=["hunan"])


def new_assigned_case(stack: Stack, report: dict[str, Any] | None = None) -> tuple[str, str]:
    code = submit(stack, report or REPORT).json()["tracking_code"]
    wait_for_stage(stack, code, "assigned")
    return code, report_id_of(stack, code, held_by="tracker")


def post(stack: Stack, path: str, headers: dict[str, str], body: Any = None) -> httpx.Response:
    return httpx.post(f"{stack.url('tracker')}{path}", json=body, headers=headers, timeout=15)


def get(stack: Stack, path: str, headers: dict[str, str], **params: str) -> httpx.Response:
    return httpx.get(f"{stack.url('tracker')}{path}", headers=headers, params=params, timeout=15)


def test_a_case_goes_through_every_stage_and_the_reporter_sees_each(stack: Stack):
    code, report_id = new_assigned_case(stack)
    investigator, boss = hunan_investigator(stack), staff(stack, "supervisor")

    case = get(stack, f"/v1/cases/{report_id}", investigator).json()
    assert case["stage"] == "assigned"
    assert case["scope"] == {"province": "hunan", "team": "inspection-hunan"}
    routing = next(e for e in case["timeline"] if e["stage"] == "assigned")
    assert routing["routing"]["rule"] == "region"
    assert routing["actor"] == {"kind": "routing"}

    assert post(stack, f"/v1/cases/{report_id}/investigate", investigator).status_code == 200
    asked = post(
        stack,
        f"/v1/cases/{report_id}/questions",
        investigator,
        {"text": "Which street is the shop on, and on what day does he collect?"},
    )
    assert asked.status_code == 200 and asked.json()["stage"] == "awaiting_reporter"

    # The reporter, with the code only, sees the question and answers it.
    status = track(stack, code).json()
    assert status["stage"] == "awaiting_reporter"
    assert status["label"]["zh"] == "需要您补充"
    [question] = status["messages"]
    assert question["sender"] == "investigator" and "Which street" in question["text"]
    assert status["open_questions"] == [question["id"]]
    answer = httpx.post(
        f"{stack.url('tracker')}/v1/track/{code}/messages",
        json={"text": "解放西路12号，每周五。", "in_reply_to": question["id"]},
        timeout=10,
    )
    assert answer.status_code == 201
    status = track(stack, code).json()
    assert status["stage"] == "investigating"  # the answer hands the case back
    assert status["open_questions"] == []
    assert [m["text"] for m in status["messages"]][1] == "解放西路12号，每周五。"

    # The investigator reads the answer, stating why; the read is recorded first.
    messages = get(stack, f"/v1/cases/{report_id}/messages", {**investigator, **PURPOSE})
    assert messages.status_code == 200
    assert messages.json()["messages"][1]["text"] == "解放西路12号，每周五。"
    assert get(stack, f"/v1/cases/{report_id}/messages", investigator).status_code == 422

    concluded = post(
        stack,
        f"/v1/cases/{report_id}/conclude",
        investigator,
        {"outcome": "substantiated", "reason": "Shop owners confirmed the weekly collection."},
    )
    assert concluded.status_code == 200
    assert (
        post(stack, f"/v1/cases/{report_id}/close", investigator, {"reason": "done"}).status_code
        == 403
    )
    closed = post(stack, f"/v1/cases/{report_id}/close", boss, {"reason": "Handed to prosecutors."})
    assert closed.status_code == 200

    status = track(stack, code).json()
    assert [s["stage"] for s in status["history"]] == [
        "submitted",
        "received",
        "classified",
        "assigned",
        "investigating",
        "awaiting_reporter",
        "investigating",
        "concluded",
        "closed",
    ]
    concluded_step = status["history"][-2]
    assert concluded_step["label"] == {"en": "Concluded: substantiated", "zh": "已办结：属实"}
    assert status["can_send_messages"] is False
    late = httpx.post(
        f"{stack.url('tracker')}/v1/track/{code}/messages", json={"text": "one more"}, timeout=10
    )
    assert late.status_code == 409

    # Who, when and why: every step by staff names its actor; the reasons are sealed notes.
    notes = get(stack, f"/v1/cases/{report_id}/messages", {**boss, **PURPOSE}).json()["notes"]
    assert {n["note"] for n in notes} >= {
        "Shop owners confirmed the weekly collection.",
        "Handed to prosecutors.",
    }
    assert {n["by"]["subject"] for n in notes} == {"inv-hunan", "staff-1"}

    # Every transition went out as stage_changed, without any text.
    stage_events = [
        json.loads(m.value)
        for m in read_topic(stack, topics.REPORT_STAGE)
        if m.key == report_id.encode()
    ]
    seen = [e["data"]["stage"] for e in stage_events]
    for stage in ("assigned", "investigating", "awaiting_reporter", "concluded", "closed"):
        assert stage in seen
    everything = json.dumps(stage_events, ensure_ascii=False)
    for private in ("Which street", "解放西路", "Shop owners", "prosecutors"):
        assert private not in everything
    assert (
        next(e for e in stage_events if e["data"]["stage"] == "concluded")["data"]["conclusion"]
        == "substantiated"
    )

    # Each move waited in the case's outbox (the common shape) until it was published, and is
    # kept there, marked, for a broker that loses it.
    cases = mongo_client(stack)["tracker"]["cases"]

    def outbox_published() -> bool:
        case = cases.find_one({"_id": report_id})
        return (
            case is not None
            and len(case["outbox"]) == case.get("outbox_published") >= 5
            and "outbox_pending" not in case
        )

    wait_until(outbox_published, 10, "the case's outbox published")


def test_an_illegal_transition_is_refused_with_the_allowed_ones_listed(stack: Stack):
    _, report_id = new_assigned_case(stack)
    refused = post(
        stack, f"/v1/cases/{report_id}/close", staff(stack, "supervisor"), {"reason": "too soon"}
    )
    assert refused.status_code == 409
    assert refused.json()["detail"]["allowed"] == ["assigned", "investigating", "concluded"]
    question = post(
        stack,
        f"/v1/cases/{report_id}/questions",
        hunan_investigator(stack),
        {"text": "A question before starting?"},
    )
    assert question.status_code == 409
    assert get(stack, f"/v1/cases/{report_id}", staff(stack, "supervisor")).json()["stage"] == (
        "assigned"
    )


def test_staff_endpoints_check_the_token_the_role_and_the_scope(stack: Stack):
    _, report_id = new_assigned_case(stack)
    path = f"/v1/cases/{report_id}"
    assert get(stack, path, {}).status_code == 401
    assert get(stack, path, staff(stack, "clerk")).status_code == 403
    elsewhere = staff(stack, "investigator", provinces=["hebei"])
    unknown = get(stack, f"/v1/cases/{uuid.uuid4()}", elsewhere)
    out_of_scope = get(stack, path, elsewhere)
    assert out_of_scope.status_code == unknown.status_code == 403
    assert out_of_scope.json() == unknown.json()
    by_team = staff(stack, "investigator", teams=["inspection-hunan"])
    assert get(stack, path, by_team).status_code == 200


def classified_elsewhere(
    stack: Stack, official_involvement: bool = False, cluster_id: str | None = None
) -> str:
    """A classification arriving from the classifier for a report the tracker has not seen
    submitted yet (stages can arrive in any order): the tracker opens and routes the case."""
    report_id = str(uuid.uuid4())
    classified = new_event(
        source="tests/sifting",
        type=STAGE_CHANGED_V1,
        subject=report_id,
        data=StageChanged(
            report_id=report_id,
            stage=Stage.CLASSIFIED,
            at=datetime.now(UTC),
            classification=Classification(
                crime_types=["official_protection"],
                province="hunan",
                city="changsha",
                rules_version="test",
                official_involvement=official_involvement,
            ),
        ),
    )
    body = json.loads(classified.to_bytes())
    if cluster_id is not None:  # the sifting work adds clusters to the classification
        body["data"]["classification"]["cluster_id"] = cluster_id
    produce(stack, topics.REPORT_STAGE, json.dumps(body).encode(), key=report_id.encode())
    boss = staff(stack, "supervisor")

    def assigned() -> bool:
        answer = get(stack, f"/v1/cases/{report_id}", boss)
        return answer.status_code == 200 and answer.json()["stage"] == "assigned"

    wait_until(assigned, 30, "routing of the case")
    return report_id


def test_an_official_involvement_case_is_routed_away_from_its_own_region(stack: Stack):
    report_id = classified_elsewhere(stack, official_involvement=True)
    boss = staff(stack, "supervisor")
    case = get(stack, f"/v1/cases/{report_id}", boss).json()
    assert case["scope"] == {"province": None, "team": "central-inspection"}
    decision = next(e for e in case["timeline"] if e["stage"] == "assigned")["routing"]
    assert decision["rule"] == "official_involvement"
    assert "inspection-hunan" in decision["reason"]
    # Hunan's own investigators cannot read it; the central team can.
    assert get(stack, f"/v1/cases/{report_id}", hunan_investigator(stack)).status_code == 403
    central = staff(stack, "investigator", teams=["central-inspection"])
    assert get(stack, f"/v1/cases/{report_id}", central).status_code == 200
    # A supervisor cannot hand it back to the implicated team by hand either.
    back = post(
        stack,
        f"/v1/cases/{report_id}/assign",
        boss,
        {"team": "inspection-hunan", "reason": "closer to the ground"},
    )
    assert back.status_code == 422 and back.json()["detail"][0]["field"] == "team"
    # The assignment event carries the team and scope, never the reason's text.
    [event] = [
        json.loads(m.value)
        for m in read_topic(stack, topics.REPORT_STAGE)
        if m.key == report_id.encode() and json.loads(m.value)["data"]["stage"] == "assigned"
    ]
    assert event["data"]["team"] == "central-inspection"
    assert event["data"]["province"] is None
    assert event["data"]["routing"] == "official_involvement"


def test_a_duplicate_joins_the_surviving_case_and_its_reporter_is_told(stack: Stack):
    _, surviving = new_assigned_case(stack)
    code, duplicate = new_assigned_case(stack)
    investigator = hunan_investigator(stack)
    post(stack, f"/v1/cases/{surviving}/investigate", investigator)
    missing = post(
        stack,
        f"/v1/cases/{duplicate}/conclude",
        investigator,
        {"outcome": "duplicate", "reason": "Same shop, same collector."},
    )
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "duplicate_of"
    joined = post(
        stack,
        f"/v1/cases/{duplicate}/conclude",
        investigator,
        {"outcome": "duplicate", "reason": "Same shop, same collector.", "duplicate_of": surviving},
    )
    assert joined.status_code == 200 and joined.json()["duplicate_of"] == surviving
    status = track(stack, code).json()
    assert status["label"]["en"] == "Joined an existing investigation"
    assert status["joined_investigation"]["stage"] == "investigating"


def test_overdue_cases_follow_the_feedback_clock(stack: Stack):
    _, report_id = new_assigned_case(stack)
    boss = staff(stack, "supervisor")
    now = datetime.now(UTC)

    def listed(at: datetime) -> list[str]:
        answer = get(stack, "/v1/cases/overdue", boss, as_of=at.isoformat(), limit="1000")
        assert answer.status_code == 200
        return [c["report_id"] for c in answer.json()["cases"]]

    assert report_id not in listed(now + timedelta(days=80))
    assert report_id in listed(now + timedelta(days=91))
    case = get(stack, f"/v1/cases/{report_id}", boss).json()
    assert case["due"]["feedback"] is not None
    assert get(stack, "/v1/cases/overdue", hunan_investigator(stack)).status_code == 403


def test_regional_load_is_counted_per_province_and_team(stack: Stack):
    _, _first = new_assigned_case(stack)
    _, second = new_assigned_case(stack)
    investigator = hunan_investigator(stack)
    post(stack, f"/v1/cases/{second}/investigate", investigator)
    post(stack, f"/v1/cases/{second}/questions", investigator, {"text": "When did it start?"})
    analyst = staff(stack, "analyst")
    load = get(stack, "/v1/load", analyst)
    assert load.status_code == 200
    [hunan] = [
        r
        for r in load.json()["regions"]
        if r["province"] == "hunan" and r["team"] == "inspection-hunan"
    ]
    assert hunan["open"] >= 2 and hunan["new_this_week"] >= 2
    assert hunan["awaiting_reporter"] >= 1
    assert hunan["median_age_days"] is not None and hunan["overdue"] == 0
    later = get(
        stack, "/v1/load", analyst, as_of=(datetime.now(UTC) + timedelta(days=100)).isoformat()
    )
    [hunan_later] = [
        r
        for r in later.json()["regions"]
        if r["province"] == "hunan" and r["team"] == "inspection-hunan"
    ]
    assert hunan_later["overdue"] >= 2 and hunan_later["new_this_week"] == 0
    assert get(stack, "/v1/load", staff(stack, "clerk")).status_code == 403


def test_messages_are_stored_sealed(stack: Stack):
    code, report_id = new_assigned_case(stack)
    investigator = hunan_investigator(stack)
    post(stack, f"/v1/cases/{report_id}/investigate", investigator)
    post(stack, f"/v1/cases/{report_id}/questions", investigator, {"text": "CANARY-Q-7781 where?"})
    question = track(stack, code).json()["messages"][0]["id"]
    httpx.post(
        f"{stack.url('tracker')}/v1/track/{code}/messages",
        json={"text": "CANARY-A-7781 here", "in_reply_to": question},
        timeout=10,
    )
    raw = mongo_client(stack)["tracker"]["cases"].find_one({"_id": report_id})
    stored = repr(raw)
    assert "CANARY-Q-7781" not in stored and "CANARY-A-7781" not in stored
    assert raw is not None and raw["data_key"]["kid"]


def test_a_cluster_with_many_reports_and_no_investigation_is_flagged(stack: Stack):
    cluster = f"cluster-{uuid.uuid4()}"
    reports = [classified_elsewhere(stack, cluster_id=cluster) for _ in range(3)]
    boss = staff(stack, "supervisor")

    def flagged() -> list[dict[str, Any]]:
        answer = get(stack, "/v1/load", boss).json()["idle_clusters"]
        return [c for c in answer if c["cluster_id"] == cluster]

    [idle] = flagged()
    assert idle["reports"] == 3 and idle["provinces"] == ["hunan"]
    post(stack, f"/v1/cases/{reports[0]}/investigate", hunan_investigator(stack))
    assert flagged() == []


def test_an_investigator_lists_only_the_cases_in_scope(stack: Stack):
    _, report_id = new_assigned_case(stack)

    def listed(headers: dict[str, str], **params: str) -> list[str]:
        answer = get(stack, "/v1/cases", headers, limit="1000", **params)
        assert answer.status_code == 200
        return [c["report_id"] for c in answer.json()["cases"]]

    assert report_id in listed(hunan_investigator(stack), stage="assigned")
    assert report_id not in listed(hunan_investigator(stack), stage="closed")
    assert report_id not in listed(staff(stack, "investigator", provinces=["hebei"]))
    assert report_id in listed(staff(stack, "supervisor"), team="inspection-hunan")
