"""A report's whole journey, as the reporter and the office see it."""

from __future__ import annotations

import json

import httpx
import pytest

from deploy.local.stack import Stack
from services.common import topics, tracking_code
from tests.integration.helpers import (
    REPORT,
    code_hash_of,
    metric,
    mongo_client,
    produce,
    read_topic,
    submit,
    track,
    wait_for_stage,
    wait_until,
)


def test_a_submitted_report_moves_from_submitted_to_received_to_classified(stack: Stack):
    answer = submit(stack)
    assert answer.status_code == 201
    body = answer.json()
    assert tracking_code.normalize(body["tracking_code"]) is not None
    assert body["status_url"] == f"{stack.url('tracker')}/v1/track/{body['tracking_code']}"

    status = wait_for_stage(stack, body["tracking_code"], "assigned")
    # Classified, the tracker routes the case to a team at once (tests/integration/
    # test_case_workflow.py follows the rest of its life).
    assert [s["stage"] for s in status["history"]] == [
        "submitted",
        "received",
        "classified",
        "assigned",
    ]
    assert status["stage"] == "assigned"

    # The status link given to the reporter works as given, and is not cached.
    page = httpx.get(body["status_url"], timeout=10)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"


def test_the_classification_is_stored_by_the_classifier(stack: Stack):
    body = submit(stack).json()
    wait_for_stage(stack, body["tracking_code"], "classified")
    classified = [
        json.loads(m.value)
        for m in read_topic(stack, topics.REPORT_STAGE)
        if json.loads(m.value)["data"]["stage"] == "classified"
        # other tests send classifications of their own, as the sifting work will
        and json.loads(m.value)["source"] == "tipline/classifier"
    ]
    db = mongo_client(stack)["classifier"]
    stored = {doc["_id"]: doc for doc in db["classifications"].find()}
    for event in classified:
        result = event["data"]["classification"]
        assert stored[event["subject"]]["crime_types"] == result["crime_types"]
    # This test's report (events from different partitions are read in no set order).
    code_hash = code_hash_of(stack, body["tracking_code"])
    case = mongo_client(stack)["tracker"]["cases"].find_one(
        {"tracking_code_hash": code_hash}, {"_id": 1}
    )
    assert case is not None
    latest = stored[case["_id"]]
    assert {"extortion_protection", "violent_intimidation"} <= set(latest["crime_types"])
    assert latest["province"] == "hunan" and latest["city"] == "changsha"


def test_a_typed_code_works_in_lower_case_with_spaces(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    wait_for_stage(stack, code, "received")
    assert track(stack, code.lower().replace("-", " ")).status_code == 200


def test_an_unknown_or_mistyped_code_gets_the_same_404(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    wait_for_stage(stack, code, "received")
    compact = code.replace("-", "")
    one_off = compact[:4] + ("A" if compact[4] != "A" else "B") + compact[5:]
    unknown = tracking_code.generate()
    odd = ("not-a-code", "x" * 300, code + "/", "a/b")
    answers = [track(stack, c) for c in (one_off, unknown, *odd)]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    assert "tracking code" in answers[0].json()["detail"]


def test_a_channel_retry_with_the_same_idempotency_key_returns_the_first_answer(stack: Stack):
    key = "wechat-msg-7f3a9c21"
    first = submit(stack, **{"Idempotency-Key": key})
    again = submit(stack, **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    code_hash = code_hash_of(stack, first.json()["tracking_code"])
    reports = mongo_client(stack)["intake"]["reports"]
    assert reports.count_documents({"tracking_code_hash": code_hash}) == 1


def test_reusing_an_idempotency_key_for_another_report_is_refused(stack: Stack):
    key = "wechat-msg-0d91e4aa"
    assert submit(stack, **{"Idempotency-Key": key}).status_code == 201
    other = {**REPORT, "narrative": "A different report about illegal sand dredging at night."}
    refused = submit(stack, other, **{"Idempotency-Key": key})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("report", "field"),
    [
        ({"narrative": "The gang beats shop owners who refuse to pay."}, "channel"),
        ({"channel": "web"}, "narrative"),
        ({"channel": "pigeon", "narrative": "The gang beats shop owners."}, "channel"),
        ({"channel": "web", "narrative": "short"}, "narrative"),
        (
            {
                "channel": "web",
                "narrative": "The gang beats shop owners.",
                "incident_time": "yesterday-ish",
            },
            "incident_time",
        ),
        (
            {
                "channel": "web",
                "narrative": "The gang beats shop owners.",
                "contact": {"email": "nope"},
            },
            "contact.email",
        ),
        (
            {
                "channel": "web",
                "narrative": "The gang beats shop owners.",
                "location": {"province": 7},
            },
            "location.province",
        ),
    ],
)
def test_bad_input_gets_422_naming_the_field_and_echoing_nothing(stack: Stack, report, field):
    answer = submit(stack, report)
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert field in [p["field"] for p in problems]
    assert all(p["reason"] for p in problems)
    assert "shop owners" not in answer.text


def test_a_body_that_is_not_json_gets_422(stack: Stack):
    answer = httpx.post(
        f"{stack.url('intake')}/v1/reports",
        content=b"{not json",
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 422


def test_a_redelivered_event_changes_nothing(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    before = wait_for_stage(stack, code, "assigned")
    code_hash = code_hash_of(stack, code)
    submitted = next(
        m
        for m in read_topic(stack, topics.REPORT_SUBMITTED)
        if json.loads(m.value)["data"]["tracking_code_hash"] == code_hash
    )
    classifications = mongo_client(stack)["classifier"]["classifications"]
    report_id = json.loads(submitted.value)["subject"]
    classified_before = classifications.find_one({"_id": report_id})
    duplicates = {
        s: metric(stack, s, "tipline_events_duplicate_total")
        for s in ("classifier", "tracker", "audit")
    }

    produce(stack, topics.REPORT_SUBMITTED, submitted.value, submitted.key)

    for service, seen in duplicates.items():
        wait_until(
            lambda s=service, n=seen: metric(stack, s, "tipline_events_duplicate_total") > n,
            30,
            f"{service} recognising the redelivered event",
        )
    assert track(stack, code).json() == before
    audit = mongo_client(stack)["audit"]["audit_log"]
    event_id = json.loads(submitted.value)["id"]
    assert audit.count_documents({"event_id": event_id}) == 1
    assert classifications.find_one({"_id": report_id}) == classified_before
    classified = [
        m
        for m in read_topic(stack, topics.REPORT_STAGE)
        if json.loads(m.value)["subject"] == report_id
        and json.loads(m.value)["data"]["stage"] == "classified"
    ]
    assert len({json.loads(m.value)["id"] for m in classified}) == 1


def test_a_message_nobody_can_read_goes_to_the_dead_letter_topic_and_the_stream_goes_on(
    stack: Stack,
):
    produce(stack, topics.REPORT_SUBMITTED, b"\x00 this is not an event", b"poison-key")

    def dead_letters() -> dict[str, str]:
        return {
            dict(m.headers)["consumer"].decode(): dict(m.headers)["reason"].decode()
            for m in read_topic(stack, topics.DEAD_LETTER)
            if m.key == b"poison-key"
        }

    wait_until(lambda: len(dead_letters()) == 3, 30, "every consumer dead-lettering the message")
    dead = dead_letters()
    assert set(dead) == {"classifier", "tracker", "audit"}
    assert all(reason.startswith("unparseable event") for reason in dead.values())
    # Later reports still flow.
    code = submit(stack).json()["tracking_code"]
    wait_for_stage(stack, code, "classified")


def test_an_event_that_keeps_failing_is_dead_lettered_after_bounded_retries(stack: Stack):
    # A well-formed envelope whose report intake does not know: the classifier cannot apply it.
    ghost = {
        "specversion": "1.0",
        "id": "00000000-0000-4000-8000-00000000dead",
        "source": "tests",
        "type": "tipline.report.submitted.v1",
        "subject": "no-such-report",
        "time": "2026-11-01T00:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "report_id": "no-such-report",
            "channel": "web",
            "submitted_at": "2026-11-01T00:00:00Z",
            "tracking_code_hash": "00" * 32,
        },
    }
    produce(stack, topics.REPORT_SUBMITTED, json.dumps(ghost).encode(), b"no-such-report")

    def dead_lettered() -> list:
        return [
            m
            for m in read_topic(stack, topics.DEAD_LETTER)
            if m.key == b"no-such-report" and dict(m.headers)["consumer"] == b"classifier"
        ]

    wait_until(lambda: bool(dead_lettered()), 30, "the classifier giving up on the event")
    reason = dict(dead_lettered()[0].headers)["reason"].decode()
    assert reason == "apply failed after 3 attempts: ReportContentMissing"
    assert metric(stack, "classifier", "tipline_events_dead_lettered_total") >= 1


def test_the_audit_chain_verifies_and_a_changed_entry_is_found(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    wait_for_stage(stack, code, "classified")
    audit_url = f"{stack.url('audit')}/v1/audit/verify"
    auditor = {"Authorization": f"Bearer {stack.staff_token('auditor')}"}
    assert httpx.get(audit_url, timeout=10).status_code == 401

    def verify() -> dict:
        return dict(httpx.get(audit_url, headers=auditor, timeout=10).json())

    wait_until(lambda: verify()["entries"] >= 3, 20, "audit")
    intact = verify()
    assert intact["intact"] is True and intact["first_broken_position"] is None

    log = mongo_client(stack)["audit"]["audit_log"]
    target = log.find_one({"_id": 2})
    assert target is not None
    original = target["record"]["event"]["type"]
    log.update_one({"_id": 2}, {"$set": {"record.event.type": "tipline.report.forged.v1"}})
    try:
        broken = verify()
        assert broken["intact"] is False
        assert broken["first_broken_position"] == 2
    finally:
        log.update_one({"_id": 2}, {"$set": {"record.event.type": original}})
    assert verify()["intact"] is True


@pytest.mark.parametrize("service", ["intake", "classifier", "tracker", "audit"])
def test_every_service_reports_health_readiness_and_metrics(stack: Stack, service: str):
    assert httpx.get(f"{stack.url(service)}/healthz", timeout=5).status_code == 200
    ready = httpx.get(f"{stack.url(service)}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "kafka": True}
    metrics = httpx.get(f"{stack.url(service)}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "# TYPE" in metrics.text


def test_requests_are_counted_by_route_template_never_by_raw_path(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    track(stack, code)
    assert (
        metric(
            stack,
            "intake",
            "tipline_http_requests_total",
            route="/v1/reports",
            method="POST",
            status="201",
        )
        >= 1
    )
    tracker_metrics = httpx.get(f"{stack.url('tracker')}/metrics", timeout=5).text
    assert 'route="/v1/track/{code:path}"' in tracker_metrics
    assert code not in tracker_metrics and code.replace("-", "") not in tracker_metrics


def test_the_api_is_documented(stack: Stack):
    for service in ("intake", "tracker", "audit"):
        assert httpx.get(f"{stack.url(service)}/docs", timeout=5).status_code == 200
    paths = httpx.get(f"{stack.url('intake')}/openapi.json", timeout=5).json()["paths"]
    assert "/v1/reports" in paths
    assert not any(p.startswith("/internal") for p in paths)


def test_report_content_is_only_for_the_classifier(stack: Stack):
    answer = httpx.get(f"{stack.url('intake')}/internal/v1/reports/anything/content", timeout=5)
    assert answer.status_code == 401
