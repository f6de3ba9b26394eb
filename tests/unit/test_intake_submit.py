"""The submit use case through fakes of its ports: a store in memory, an outbox that records
what it was handed, and a clock that says what time it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.common import topics, tracking_code
from services.common.crypto import Keyring
from services.intake.reports.domain import (
    DuplicateReport,
    KeyUsedForAnotherReport,
    ReportAccepted,
    ReportIn,
    open_report,
)
from services.intake.reports.submit import SubmitReport

SECRET = b"unit-test-secret-unit-test-secret"
KEYRING = Keyring.new("unit-submit")
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
REPORT = ReportIn.model_validate(
    {
        "channel": "web",
        "narrative": "CANARY-NARRATIVE the village chief takes protection money",
        "contact": {"phone": "+86 138 0000 0000"},
    }
)


class FakeStore:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.race_winner: dict[str, Any] | None = None  # stored just before our insert lands

    async def insert(self, document: dict[str, Any]) -> None:
        if self.race_winner is not None:
            self.documents[self.race_winner["_id"]] = self.race_winner
            self.race_winner = None
        key = document.get("idempotency", {}).get("key_hash")
        if key is not None and any(
            d.get("idempotency", {}).get("key_hash") == key for d in self.documents.values()
        ):
            raise DuplicateReport
        self.documents[document["_id"]] = document

    async def find_by_idempotency_key(self, key_hash: str) -> dict[str, Any] | None:
        for document in self.documents.values():
            if document.get("idempotency", {}).get("key_hash") == key_hash:
                return document
        return None

    async def forget_idempotency(self, report_id: str) -> None:
        self.documents[report_id].pop("idempotency", None)


class FakeOutbox:
    def __init__(self) -> None:
        self.handed_over: list[dict[str, Any]] = []

    def hand_over(self, document: dict[str, Any]) -> None:
        self.handed_over.append(document)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def outbox() -> FakeOutbox:
    return FakeOutbox()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def submit(store: FakeStore, outbox: FakeOutbox, clock: Clock) -> SubmitReport:
    return SubmitReport(
        store=store,
        outbox=outbox,
        keyring=KEYRING,
        secret=SECRET,
        status_base_url="https://tracker.example/",
        idempotency_ttl=timedelta(hours=24),
        clock=clock,
    )


async def accepted(submit: SubmitReport, report: ReportIn, key: str | None) -> ReportAccepted:
    answer = await submit(report, key)
    assert isinstance(answer, ReportAccepted)
    return answer


async def test_a_new_report_gets_a_tracking_code_a_status_link_and_the_time_it_was_received(
    submit: SubmitReport,
):
    answer = await accepted(submit, REPORT, None)
    assert tracking_code.normalize(answer.tracking_code) is not None
    assert answer.status_url == f"https://tracker.example/v1/track/{answer.tracking_code}"
    assert answer.submitted_at == NOW


async def test_the_report_is_stored_sealed_with_its_event_and_published_at_once(
    submit: SubmitReport, store: FakeStore, outbox: FakeOutbox
):
    answer = await accepted(submit, REPORT, None)
    (document,) = store.documents.values()
    assert "CANARY" not in json.dumps(document, default=str)
    assert answer.tracking_code not in json.dumps(document, default=str)
    opened = open_report(document, KEYRING, ["content", "contact"])
    assert opened["narrative"] == REPORT.narrative
    assert opened["contact"]["phone"] == "+86 138 0000 0000"
    (entry,) = document["outbox"]
    assert entry["topic"] == topics.REPORT_SUBMITTED
    assert entry["key"] == document["_id"]
    assert document["outbox_pending"] is True
    assert outbox.handed_over == [document]


async def test_a_channel_retry_with_the_same_key_gets_the_same_code_and_no_second_report(
    submit: SubmitReport, store: FakeStore, outbox: FakeOutbox
):
    first = await accepted(submit, REPORT, "channel-key-0001")
    again = await accepted(submit, REPORT, "channel-key-0001")
    assert again.tracking_code == first.tracking_code
    assert again.submitted_at == first.submitted_at
    assert len(store.documents) == 1
    assert len(outbox.handed_over) == 1


async def test_a_key_used_again_for_a_different_report_is_refused_naming_the_header(
    submit: SubmitReport, store: FakeStore
):
    await accepted(submit, REPORT, "channel-key-0002")
    other = REPORT.model_copy(update={"narrative": "a different report about another place"})
    refused = await submit(other, "channel-key-0002")
    assert isinstance(refused, KeyUsedForAnotherReport)
    assert refused.field == "Idempotency-Key"
    assert "different report" in refused.reason
    assert len(store.documents) == 1


async def test_a_key_past_its_lifetime_is_free_again_and_makes_a_new_report(
    submit: SubmitReport, store: FakeStore, clock: Clock
):
    first = await accepted(submit, REPORT, "channel-key-0003")
    clock.now = NOW + timedelta(hours=24, seconds=1)
    later = await accepted(submit, REPORT, "channel-key-0003")
    assert later.tracking_code != first.tracking_code
    assert later.submitted_at == clock.now
    assert len(store.documents) == 2
    keyed = [d for d in store.documents.values() if "idempotency" in d]
    assert len(keyed) == 1  # the first report's key was forgotten


async def test_a_concurrent_retry_that_was_stored_first_gives_its_answer_to_both(
    submit: SubmitReport, store: FakeStore, outbox: FakeOutbox
):
    # The same request, sent twice at once: the other copy lands between our look-up and our
    # insert, so ours hits the unique key and must answer with the winner's code.
    other = FakeStore()
    winner = await accepted(
        SubmitReport(
            store=other,
            outbox=FakeOutbox(),
            keyring=KEYRING,
            secret=SECRET,
            status_base_url="https://tracker.example/",
            idempotency_ttl=timedelta(hours=24),
            clock=Clock(NOW),
        ),
        REPORT,
        "channel-key-0004",
    )
    (store.race_winner,) = other.documents.values()
    answer = await accepted(submit, REPORT, "channel-key-0004")
    assert answer.tracking_code == winner.tracking_code
    assert len(store.documents) == 1
    assert outbox.handed_over == []  # the winner's own path publishes its event


async def test_each_report_without_a_key_is_a_report_of_its_own(
    submit: SubmitReport, store: FakeStore
):
    first = await accepted(submit, REPORT, None)
    second = await accepted(submit, REPORT, None)
    assert first.tracking_code != second.tracking_code
    assert len(store.documents) == 2
