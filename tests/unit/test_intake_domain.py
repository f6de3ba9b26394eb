import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidTag

from services.common import topics, tracking_code
from services.common.crypto import CannotOpen, Keyring
from services.intake.reports.domain import (
    ReportIn,
    accept_report,
    open_answer,
    open_report,
    scope_change,
)

SECRET = b"unit-test-secret-unit-test-secret"
KEYRING = Keyring.new("unit-1")
CANARY_NARRATIVE = "CANARY-NARRATIVE 村霸强收保护费 the gang threatened the witness"
REPORT = ReportIn.model_validate(
    {
        "channel": "wechat",
        "narrative": CANARY_NARRATIVE,
        "location": {"province": "湖南", "city": "长沙", "details": "CANARY-PLACE"},
        "people_involved": ["CANARY-PERSON"],
        "contact": {"phone": "+86 138 0000 0000", "name": "CANARY-NAME"},
        "language": "zh",
    }
)


def accept(key: str | None = None):
    return accept_report(
        REPORT,
        keyring=KEYRING,
        secret=SECRET,
        status_base_url="http://tracker.example/",
        idempotency_key=key,
        idempotency_ttl=timedelta(hours=24),
    )


def test_the_answer_gives_the_code_and_a_status_link_once():
    new = accept()
    assert new.answer.status_url == f"http://tracker.example/v1/track/{new.answer.tracking_code}"
    assert tracking_code.normalize(new.answer.tracking_code) is not None


def test_the_stored_report_keeps_only_the_hash_of_the_code():
    new = accept()
    stored = json.dumps(new.document, default=str)
    compact = new.answer.tracking_code.replace("-", "")
    assert new.answer.tracking_code not in stored and compact not in stored
    assert new.document["tracking_code_hash"] == tracking_code.lookup_hash(compact, SECRET)


def test_the_report_and_its_event_are_one_document():
    new = accept()
    (entry,) = new.document["outbox"]
    assert entry["topic"] == topics.REPORT_SUBMITTED
    assert entry["body"]["subject"] == new.report_id
    assert entry["body"]["type"] == "tipline.report.submitted.v1"
    assert entry["id"] == entry["body"]["id"]
    assert entry["key"] == new.report_id
    assert new.document["outbox_pending"] is True


def test_the_submitted_event_carries_no_private_data():
    new = accept()
    event = json.dumps(new.document["outbox"][0]["body"], ensure_ascii=False)
    for private in (
        "CANARY",
        "138 0000",
        new.answer.tracking_code,
        new.answer.tracking_code.replace("-", ""),
        "长沙",
    ):
        assert private not in event
    assert new.document["tracking_code_hash"] in event


def test_a_retry_answer_opens_only_with_the_same_idempotency_key():
    new = accept(key="channel-retry-key-1")
    sealed = new.document["idempotency"]["answer"]
    assert new.answer.tracking_code not in sealed
    assert open_answer(sealed, "channel-retry-key-1", SECRET) == new.answer
    with pytest.raises(InvalidTag):
        open_answer(sealed, "another-key-0000", SECRET)


def test_the_stored_document_holds_no_plaintext_of_any_private_field():
    stored = repr(accept().document)
    for planted in ("CANARY", "村霸", "138 0000", "长沙", "湖南"):
        assert planted not in stored
    assert accept().document["channel"] == "wechat"


def test_the_content_opens_without_the_contact_and_the_contact_only_when_asked():
    document = accept().document
    content = open_report(document, KEYRING, ["content"])
    assert content["narrative"] == CANARY_NARRATIVE
    assert content["location"]["city"] == "长沙"
    assert "contact" not in content
    both = open_report(document, KEYRING, ["content", "contact"])
    assert both["contact"]["name"] == "CANARY-NAME"


def test_a_sealed_report_copied_onto_another_report_id_does_not_open():
    first, second = accept().document, accept().document
    moved = {**second, "sealed": first["sealed"]}
    with pytest.raises(CannotOpen):
        open_report(moved, KEYRING, ["content"])
    with pytest.raises(CannotOpen):
        open_report({**first, "_id": second["_id"]}, KEYRING, ["content"])


def test_scope_comes_from_the_classification_and_the_assignment():
    assert scope_change({"stage": "classified", "classification": {"province": "Hunan"}}) == {
        "province": "Hunan"
    }
    assert scope_change({"stage": "assigned", "team": "hunan-2", "province": "hunan"}) == {
        "province": "hunan",
        "team": "hunan-2",
    }
    # Routed above an implicated province: that province no longer has the report.
    assert scope_change({"stage": "assigned", "team": "central-inspection", "province": None}) == {
        "province": None,
        "team": "central-inspection",
    }
    assert scope_change({"stage": "received"}) == {}


def test_an_assignment_sets_scope_and_the_heard_mark_in_one_update() -> None:
    from datetime import UTC, datetime

    from services.intake.reports.domain import ReportUpdate, stage_updates

    at = datetime(2026, 12, 4, tzinfo=UTC)
    event = {"stage": "assigned", "team": "central", "province": None}
    assert stage_updates("r1", event, "classified_at", at) == [
        ReportUpdate(
            "r1",
            {"scope.province": None, "scope.team": "central", "progress.classified_at": at},
        )
    ]


def test_a_classification_goes_only_to_an_unassigned_report() -> None:
    from datetime import UTC, datetime

    from services.intake.reports.domain import ReportUpdate, stage_updates

    at = datetime(2026, 12, 4, tzinfo=UTC)
    event = {"stage": "classified", "classification": {"province": "north"}}
    assert stage_updates("r1", event, None, at) == [
        ReportUpdate("r1", {"scope.province": "north"}, only_unassigned=True)
    ]
    assert stage_updates("r1", {"stage": "received"}, "opened_at", at) == [
        ReportUpdate("r1", {"progress.opened_at": at})
    ]


def _applied(updates, documents):
    """Each update as MongoDB applies it: `only_unassigned` matches no team (missing or null)."""
    documents = {k: dict(v) for k, v in documents.items()}
    for update in updates:
        document = documents[update.report_id]
        if update.only_unassigned and document.get("scope.team") is not None:
            continue
        document.update(update.values)
    return documents


def test_a_reports_stage_updates_in_one_batch_go_in_one_write():
    from services.intake.reports.domain import merged_updates, stage_updates

    at = datetime(2026, 12, 4, tzinfo=UTC)
    received = stage_updates("r1", {"stage": "received"}, "opened_at", at)
    classified = stage_updates(
        "r1", {"stage": "classified", "classification": {"province": "Hebei"}}, None, at
    )
    assigned = stage_updates(
        "r1", {"stage": "assigned", "team": "t1", "province": "Hebei"}, "classified_at", at
    )
    other = stage_updates("r2", {"stage": "received"}, "opened_at", at)
    batch = [*received, *other, *classified, *assigned]
    merged = merged_updates(batch)
    assert [u.report_id for u in merged] == ["r1", "r2"]
    documents = {"r1": {}, "r2": {}}
    assert _applied(merged, documents) == _applied(batch, documents)


def test_merged_updates_have_the_effect_of_the_updates_one_by_one():
    import random

    from services.intake.reports.domain import ReportUpdate, merged_updates

    rng = random.Random(19)
    fields = ["scope.province", "scope.team", "progress.opened_at", "progress.classified_at"]
    for _ in range(3000):
        batch = []
        for _ in range(rng.randint(0, 7)):
            chosen = rng.sample(fields, rng.randint(1, 3))
            conditional = "scope.team" not in chosen and rng.random() < 0.5
            values = {
                f: rng.choice(["a", "b", None]) if f == "scope.team" else rng.random()
                for f in chosen
            }
            batch.append(ReportUpdate(rng.choice(["r1", "r2", "r3"]), values, conditional))
        documents = {
            r: rng.choice([{}, {"scope.team": "x"}, {"scope.team": None, "scope.province": 1}])
            for r in ("r1", "r2", "r3")
        }
        merged = merged_updates(batch)
        assert _applied(merged, documents) == _applied(batch, documents), batch
        assert len(merged) <= len(batch)
