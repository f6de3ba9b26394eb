"""The tracker's consumer routing classified cases, on a real MongoDB-protocol server: a poll's
classifications for many reports, redeliveries, one report's several classifications in one
poll, and a classification that comes before its case was opened. Kafka stays out: the stage
events the tracker records are taken from the cases' outboxes, where the relay finds them."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from deploy.local.stack import Process, free_port, start_mongodb
from services.common import topics, tracking_code
from services.common.crypto import Keyring
from services.common.events import (
    STAGE_CHANGED_V1,
    SUBMITTED_V1,
    Channel,
    Classification,
    Envelope,
    ReportSubmitted,
    Stage,
    StageChanged,
    derived_event_id,
    new_event,
)
from services.common.kafka import Outcome
from services.tracker.adapters import CaseStore
from services.tracker.consumer import handle, handle_many
from services.tracker.domain import DeadlinePolicy, RoutingTable, public_status
from services.tracker.workflow import Tracker

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ROUTING = RoutingTable.from_toml(
    (Path(__file__).parents[2] / "services/tracker/routing.toml").read_text()
)
PLACES = [("hunan", "changsha"), ("guangdong", None), (None, None), ("beijing", None)]


@pytest.fixture(scope="module")
def mongodb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server: Process = start_mongodb(port, Path(tmp_path_factory.mktemp("logs-routing")))
    try:
        yield f"mongodb://127.0.0.1:{port}/"
    finally:
        server.stop()


class Statuses:
    async def by_tracking_code_hash(self, code_hash: str) -> dict[str, Any] | None:
        return None

    def forget(self, report_id: str, code_hash: str | None = None) -> None:
        pass


class Published:
    """What the tracker hands the relay: the acknowledgements, and the cases whose outboxes
    hold a recorded event."""

    def __init__(self) -> None:
        self.sent: list[Envelope] = []
        self.recorded: list[tuple[str, str]] = []

    async def publish(self, events: Sequence[Envelope]) -> None:
        self.sent.extend(events)

    async def publish_recorded(self, report_id: str, event: Envelope) -> None:
        self.recorded.append((report_id, event.id))


@pytest.fixture
async def tracker(mongodb: str, request: pytest.FixtureRequest) -> AsyncIterator[Tracker]:
    client: AsyncMongoClient = AsyncMongoClient(mongodb, tz_aware=True)
    name = f"r_{request.node.name[:40]}"
    await client.drop_database(name)
    cases = CaseStore(client[name])
    await cases.create_indexes()
    yield Tracker(
        cases=cases,  # type: ignore[arg-type]
        statuses=Statuses(),
        publisher=Published(),
        clock=lambda: T0 + timedelta(minutes=5),
        keyring=Keyring.new("test-1"),
        routing=ROUTING,
        deadlines=DeadlinePolicy(),
    )
    await client.drop_database(name)
    await client.close()


def submitted(report_id: str) -> Envelope:
    code_hash = tracking_code.lookup_hash(tracking_code.generate(), b"secret")
    data = ReportSubmitted(
        report_id=report_id,
        channel=Channel.WEB,
        submitted_at=T0,
        tracking_code_hash=code_hash,
    )
    return new_event(source="tipline/intake", type=SUBMITTED_V1, subject=report_id, data=data)


def classified(report_id: str, province: str | None, city: str | None) -> Envelope:
    change = StageChanged(
        report_id=report_id,
        stage=Stage.CLASSIFIED,
        at=T0 + timedelta(minutes=1),
        classification=Classification(
            crime_types=["extortion"],
            province=province,
            city=city,
            rules_version="1",
            official_involvement=False,
            priority="high",
        ),
    )
    return new_event(
        source="tipline/classifier", type=STAGE_CHANGED_V1, subject=report_id, data=change
    )


def poll(*events: Envelope) -> list[tuple[Envelope, str]]:
    return [
        (e, topics.REPORT_SUBMITTED if e.type == SUBMITTED_V1 else topics.REPORT_STAGE)
        for e in events
    ]


async def case_of(t: Tracker, report_id: str) -> dict[str, Any]:
    case = await t.cases.get(report_id)
    assert case is not None
    return case


def stages(case: dict[str, Any]) -> list[str]:
    return [e["stage"] for e in case["timeline"]]


def recorded(t: Tracker) -> list[tuple[str, str]]:
    assert isinstance(t.publisher, Published)
    return t.publisher.recorded


async def test_a_polls_classifications_route_every_case_with_its_timeline_and_event(tracker):
    reports = [f"r{n}" for n in range(12)]
    await handle_many(tracker, poll(*(submitted(r) for r in reports)))
    classifications = [classified(r, *PLACES[n % len(PLACES)]) for n, r in enumerate(reports)]

    outcomes = await handle_many(tracker, poll(*classifications))

    assert outcomes == [Outcome.APPLIED] * len(reports)
    now = T0 + timedelta(minutes=5)
    for n, (report_id, event) in enumerate(zip(reports, classifications, strict=True)):
        case = await case_of(tracker, report_id)
        province, _ = PLACES[n % len(PLACES)]
        team = f"inspection-{province}" if province else "central-inspection"
        assert stages(case) == ["submitted", "received", "classified", "assigned"]
        entry_classified, entry_assigned = case["timeline"][2:]
        assert entry_classified["event_id"] == event.id
        assert entry_classified["actor"] == {"kind": "service", "source": "tipline/classifier"}
        assert entry_classified["at"] == T0 + timedelta(minutes=1)
        assignment_id = derived_event_id(event.id, "assigned")
        assert entry_assigned["event_id"] == assignment_id
        assert entry_assigned["actor"] == {"kind": "routing"}
        assert entry_assigned["at"] == now
        assert entry_assigned["team"] == team
        assert entry_assigned["routing"]["team"] == team
        assert entry_assigned["routing"]["reason"]
        assert case["state"] == "assigned"
        assert case["scope"] == {"province": province, "team": team}
        assert (case["province"], case["priority"]) == (province, "high")
        assert case["last_feedback_at"] == now
        assert case["due"]["feedback"] == now + timedelta(days=90)
        assert case["due"]["acknowledgement"] == T0 + timedelta(days=7)
        assert case["revision"] == 1
        # The assignment waits in the case's outbox for the relay, as the event it announces.
        assert case["outbox_pending"] is True
        [waiting] = case["outbox"]
        assert waiting["id"] == assignment_id
        assert waiting["topic"] == topics.REPORT_STAGE
        assert waiting["body"]["data"]["stage"] == "assigned"
        assert waiting["body"]["data"]["team"] == team
        assert waiting["body"]["data"]["province"] == province
        assert waiting["body"]["data"]["routing"] == entry_assigned["routing"]["rule"]
    assert sorted(recorded(tracker)) == sorted(
        (r, derived_event_id(e.id, "assigned"))
        for r, e in zip(reports, classifications, strict=True)
    )


async def test_a_redelivered_classification_changes_nothing_and_is_a_repeat(tracker):
    reports = ["r1", "r2", "r3"]
    await handle_many(tracker, poll(*(submitted(r) for r in reports)))
    classifications = [classified(r, "hunan", "changsha") for r in reports]
    await handle_many(tracker, poll(*classifications))
    before = [await case_of(tracker, r) for r in reports]
    recorded(tracker).clear()

    assert await handle_many(tracker, poll(*classifications)) == [Outcome.REPEAT] * 3
    assert await handle(tracker, classifications[0], topics.REPORT_STAGE) == Outcome.REPEAT

    after = [await case_of(tracker, r) for r in reports]
    for old, new in zip(before, after, strict=True):
        assert stages(new) == ["submitted", "received", "classified", "assigned"]
        assert {k: v for k, v in new.items() if k != "updated_at"} == {
            k: v for k, v in old.items() if k != "updated_at"
        }
    assert recorded(tracker) == []


async def test_one_reports_classifications_in_one_poll_land_in_order(tracker):
    await handle_many(tracker, poll(submitted("r1"), submitted("r2")))
    first = classified("r1", "hunan", "changsha")
    again = copy.deepcopy(first)  # the same event, delivered twice in the poll
    later = classified("r1", "guangdong", None)  # classified anew (another event)
    other = classified("r2", "beijing", None)

    outcomes = await handle_many(tracker, poll(first, other, again, later))

    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.REPEAT, Outcome.APPLIED]
    case = await case_of(tracker, "r1")
    ids = [e["event_id"] for e in case["timeline"][2:]]
    assert ids == [
        first.id,
        derived_event_id(first.id, "assigned"),
        later.id,
        derived_event_id(later.id, "assigned"),
    ]
    assert case["scope"] == {"province": "guangdong", "team": "inspection-guangdong"}
    assert [e["id"] for e in case["outbox"]] == ids[1::2]
    assert stages(await case_of(tracker, "r2"))[-1] == "assigned"


async def test_a_classification_before_its_submission_opens_the_case_routed(tracker):
    classification = classified("r1", "hunan", "changsha")
    assert await handle_many(tracker, poll(classification)) == [Outcome.APPLIED]
    case = await case_of(tracker, "r1")
    assert stages(case) == ["classified", "assigned"]
    assert case["scope"] == {"province": "hunan", "team": "inspection-hunan"}
    assert [e["id"] for e in case["outbox"]] == [derived_event_id(classification.id, "assigned")]

    assert await handle_many(tracker, poll(submitted("r1"))) == [Outcome.APPLIED]
    case = await case_of(tracker, "r1")
    assert case["state"] == "assigned"
    assert [s.stage for s in public_status(case["timeline"]).history] == [
        Stage.SUBMITTED,
        Stage.RECEIVED,
        Stage.CLASSIFIED,
        Stage.ASSIGNED,
    ]
    assert case["tracking_code_hash"]


async def test_a_case_classified_without_its_assignment_is_assigned_on_redelivery(tracker):
    """A case whose classification was recorded alone (a write before both went in one)."""
    await handle_many(tracker, poll(submitted("r1")))
    classification = classified("r1", "hunan", "changsha")
    entry = {
        "event_id": classification.id,
        "stage": "classified",
        "at": T0 + timedelta(minutes=1),
        "actor": {"kind": "service", "source": "tipline/classifier"},
    }
    assert await tracker.cases.add_entries("r1", [entry], also_set={"state": "classified"})

    assert await handle_many(tracker, poll(classification)) == [Outcome.APPLIED]
    case = await case_of(tracker, "r1")
    assert stages(case) == ["submitted", "received", "classified", "assigned"]
    assert case["scope"] == {"province": "hunan", "team": "inspection-hunan"}
    assert recorded(tracker) == [("r1", derived_event_id(classification.id, "assigned"))]
    assert await handle_many(tracker, poll(classification)) == [Outcome.REPEAT]
