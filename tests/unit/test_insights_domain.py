"""The read model's cells: what a report adds, how a change moves it, incidents vs reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.classifier.insights import domain
from services.classifier.insights.domain import ReportState
from services.classifier.insights.periods import BadPeriod, Period
from services.common.events import Classification, ConclusionKind

AT = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)


def _classification(**fields: object) -> Classification:
    base: dict[str, object] = {
        "crime_types": ["fraud"],
        "rules_version": "r1",
        "industry": "construction",
        "province": "shanxi",
        "city": "taiyuan",
        "official_involvement": False,
    }
    return Classification.model_validate({**base, **fields})


def test_a_report_counts_in_every_family_once_and_its_founder_carries_the_incident() -> None:
    state = domain.classified(ReportState(), "r1", _classification(cluster_id="r1"), AT)
    cells = domain.contributions(state)
    assert set(cells) == {"i|2026-10|construction", "p|construction|2026-10|shanxi"}
    industry, province = cells["i|2026-10|construction"], cells["p|construction|2026-10|shanxi"]
    assert (industry["reports"], industry["incidents"]) == (1, 1)
    assert industry["crimes.fraud.reports"] == 1
    assert province["crimes.fraud.incidents"] == 1
    assert province["cities.taiyuan.reports"] == 1
    assert "cities.taiyuan.reports" not in industry


def test_fifty_copies_of_a_campaign_are_fifty_reports_and_one_incident() -> None:
    changes = [
        domain.difference(
            ReportState(),
            domain.classified(ReportState(), f"r{i:02d}", _classification(cluster_id="r00"), AT),
        )
        for i in range(50)
    ]
    total = domain.add_up(changes)["i|2026-10|construction"]
    assert (total["reports"], total["incidents"]) == (50, 1)


def test_a_report_with_no_city_counts_in_no_city_cell() -> None:
    state = domain.classified(ReportState(), "r1", _classification(city=None), AT)
    cells = domain.contributions(state)
    assert not [f for cell in cells.values() for f in cell if f.startswith("cities.")]


def test_a_reclassification_moves_the_report_and_keeps_its_month() -> None:
    first = domain.classified(ReportState(), "r1", _classification(), AT)
    later = AT + timedelta(days=40)
    second = domain.classified(first, "r1", _classification(industry="mining"), later)
    change = domain.difference(first, second)
    assert change["i|2026-10|construction"]["reports"] == -1
    assert change["i|2026-10|mining"]["reports"] == 1
    assert second.month == "2026-10"


def test_the_same_state_twice_changes_nothing() -> None:
    state = domain.classified(ReportState(), "r1", _classification(), AT)
    assert domain.difference(state, state) == {}


def test_a_conclusion_adds_its_outcome_and_days_to_the_totals() -> None:
    state = domain.classified(ReportState(), "r1", _classification(), AT)
    done = domain.concluded(state, ConclusionKind.SUBSTANTIATED, AT + timedelta(days=42, hours=3))
    change = domain.difference(state, done)
    assert change["i|2026-10|construction"] == {"concluded.substantiated": 1, "days.42": 1}
    assert change["p|construction|2026-10|shanxi"] == {"concluded.substantiated": 1, "days.42": 1}


def test_official_involvement_is_counted_for_reports_and_incidents() -> None:
    state = domain.classified(
        ReportState(), "r1", _classification(official_involvement=True, cluster_id="r1"), AT
    )
    cell = domain.contributions(state)["i|2026-10|construction"]
    assert cell["official_reports"] == 1 and cell["official_incidents"] == 1


def test_the_state_survives_its_document() -> None:
    state = domain.classified(ReportState(), "r1", _classification(crime_types=["b", "a"]), AT)
    assert ReportState.from_document(state.to_document()) == state


def test_the_median_of_days_is_the_middle_value() -> None:
    assert domain.median_days({10: 1, 20: 1, 90: 1}) == 20
    assert domain.median_days({10: 2, 20: 2}) == 15
    assert domain.median_days({}) is None


def test_a_cells_dimensions_are_read_from_its_id() -> None:
    assert domain.cell_dimensions("p|mining|2026-10|shanxi") == {
        "family": "p",
        "month": "2026-10",
        "industry": "mining",
        "province": "shanxi",
    }


def test_a_period_and_the_one_before_it() -> None:
    period = Period.parse("2026-11", "2027-01")
    assert period.months == ["2026-11", "2026-12", "2027-01"]
    assert period.previous() == Period("2026-08", "2026-10")


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [("2026-13", "2026-12", "from"), ("2026-10", None, "to"), ("2026-10", "2026-09", "to")],
)
def test_a_bad_period_names_its_field(first: str, last: str | None, field: str) -> None:
    with pytest.raises(BadPeriod) as raised:
        Period.parse(first, last)
    assert raised.value.field == field
