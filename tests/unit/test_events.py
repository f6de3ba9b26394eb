import pytest
from pydantic import ValidationError

from services.common.events import (
    SUBMITTED_V1,
    Channel,
    Envelope,
    ReportSubmitted,
    derived_event_id,
    new_event,
    utcnow,
)


def submitted() -> Envelope:
    return new_event(
        source="tipline/intake",
        type=SUBMITTED_V1,
        subject="report-1",
        data=ReportSubmitted(
            report_id="report-1",
            channel=Channel.WEB,
            submitted_at=utcnow(),
            tracking_code_hash="ab" * 32,
        ),
    )


def test_an_event_survives_the_wire_unchanged():
    event = submitted()
    assert Envelope.from_bytes(event.to_bytes()) == event
    assert event.specversion == "1.0"


def test_consumers_ignore_fields_they_do_not_know():
    raw = submitted().model_dump(mode="json") | {"traceparent": "00-abc"}
    raw["data"]["future_field"] = 1
    event = Envelope.model_validate(raw)
    assert ReportSubmitted.model_validate(event.data).report_id == "report-1"


def test_a_message_without_the_envelope_is_rejected():
    with pytest.raises(ValidationError):
        Envelope.from_bytes(b'{"hello": "world"}')


def test_an_event_whose_time_has_no_zone_is_rejected():
    raw = submitted().model_dump(mode="json") | {"time": "2026-11-01T00:00:00"}
    with pytest.raises(ValidationError):
        Envelope.model_validate(raw)


def test_derived_event_ids_repeat_for_the_same_cause_only():
    assert derived_event_id("e1", "received") == derived_event_id("e1", "received")
    assert derived_event_id("e1", "received") != derived_event_id("e2", "received")
    assert derived_event_id("e1", "received") != derived_event_id("e1", "classified")


def test_the_canonical_form_ignores_key_order():
    event = submitted()
    reordered = Envelope.model_validate(dict(reversed(list(event.model_dump().items()))))
    assert reordered.canonical() == event.canonical()
