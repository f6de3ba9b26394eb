import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.intake.reports.domain import ReportIn

VALID = {"channel": "web", "narrative": "某村村霸强收保护费，殴打不交钱的商户。"}


def problems(payload: dict) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        ReportIn.model_validate(payload)
    return {".".join(str(p) for p in error["loc"]) for error in caught.value.errors()}


def test_channel_and_narrative_are_all_a_reporter_must_give():
    report = ReportIn.model_validate(VALID)
    assert report.contact is None  # anonymous unless the reporter says otherwise
    assert report.people_involved == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"narrative": "   too short  "}, "narrative"),
        ({"narrative": "x" * 20_001}, "narrative"),
        ({"location": {"province": "p" * 51}}, "location.province"),
        ({"incident_time": "not a time"}, "incident_time"),
        ({"incident_time": (datetime.now(UTC) + timedelta(days=3)).isoformat()}, "incident_time"),
        ({"people_involved": ["  "]}, "people_involved"),
        ({"people_involved": ["name"] * 21}, "people_involved"),
        ({"language": "Chinese!"}, "language"),
        ({"language": "en-John-Smith-No12"}, "language"),  # a tag, never free text
        ({"contact": {"email": "not-an-address"}}, "contact.email"),
        ({"contact": {"phone": "call me maybe"}}, "contact.phone"),
        ({"narative": "typo in the field name"}, "narative"),
    ],
)
def test_each_bad_field_is_named(change, field):
    assert field in problems({**VALID, **change})


def test_missing_required_fields_are_named():
    assert problems({}) == {"channel", "narrative"}


def test_surrounding_whitespace_is_trimmed():
    report = ReportIn.model_validate({**VALID, "narrative": "  " + VALID["narrative"] + "\n"})
    assert report.narrative == VALID["narrative"]


@pytest.mark.parametrize("number", [0, 1700000000, 0.5, "0", "1700000000.5"])
def test_an_incident_time_given_as_a_number_is_refused_with_the_form_expected(number: object):
    with pytest.raises(ValidationError) as refused:
        ReportIn.model_validate_json(
            json.dumps({"channel": "web", "narrative": "x" * 20, "incident_time": number})
        )
    (error,) = refused.value.errors()
    assert error["loc"] == ("incident_time",)
    assert "ISO 8601" in error["msg"]


def test_an_incident_time_in_iso_8601_is_taken() -> None:
    report = ReportIn.model_validate_json(
        json.dumps(
            {"channel": "web", "narrative": "x" * 20, "incident_time": "2026-03-01T14:30:00+08:00"}
        )
    )
    assert report.incident_time is not None and report.incident_time.year == 2026


def test_an_incident_time_at_the_far_end_of_the_calendar_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        ReportIn.model_validate_json(
            json.dumps(
                {"channel": "web", "narrative": "x" * 20, "incident_time": "0001-01-01T05:00:03Z"}
            )
        )
    assert "between the years 1900 and 8999" in refused.value.errors()[0]["msg"]
