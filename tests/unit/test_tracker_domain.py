from datetime import UTC, datetime, timedelta

from services.common.events import Stage
from services.tracker.domain import public_status, received_event, timeline_entry

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_stages_are_shown_in_stage_order_whatever_order_they_arrived_in():
    timeline = [
        timeline_entry("e3", Stage.CLASSIFIED, T0 + timedelta(seconds=2)),
        timeline_entry("e1", Stage.SUBMITTED, T0),
        timeline_entry("e2", Stage.RECEIVED, T0 + timedelta(seconds=1)),
    ]
    status = public_status(timeline)
    assert [s.stage for s in status.history] == [Stage.SUBMITTED, Stage.RECEIVED, Stage.CLASSIFIED]
    assert status.stage == Stage.CLASSIFIED
    assert status.label == {"en": "Sorted for review", "zh": "已分类"}


def test_the_current_stage_is_the_furthest_even_when_its_clock_is_earlier():
    # The classifier can finish before the tracker records "received" when the tracker lags.
    timeline = [
        timeline_entry("e1", Stage.SUBMITTED, T0),
        timeline_entry("e3", Stage.CLASSIFIED, T0 + timedelta(seconds=1)),
        timeline_entry("e2", Stage.RECEIVED, T0 + timedelta(seconds=5)),
    ]
    status = public_status(timeline)
    assert status.stage == Stage.CLASSIFIED
    assert [s.stage for s in status.history] == [Stage.SUBMITTED, Stage.RECEIVED, Stage.CLASSIFIED]


def test_the_reporter_sees_labels_and_times_only():
    status = public_status(
        [timeline_entry("e1", Stage.SUBMITTED, T0, actor={"kind": "staff", "subject": "s-1"})]
    )
    assert set(status.history[0].model_dump()) == {"stage", "label", "description", "at"}


def test_the_received_event_is_the_same_when_the_tracker_runs_again():
    first, again = received_event("e1", "r1", T0), received_event("e1", "r1", T0 + timedelta(1))
    assert first.id == again.id
    assert first.data["stage"] == "received"
