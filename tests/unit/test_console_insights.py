"""The industry pages' pure parts: the filter read from the address, the heat map built from
each industry's province table (a hidden count stays hidden, an absent one is 0), and charts
that carry no script and never draw a hidden count."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from starlette.requests import Request

from services.classifier.insights.periods import Period
from services.tracker.console import insights_charts as charts
from services.tracker.console.insights_page import (
    FilterProblem,
    heat_map,
    read_filter,
    this_quarter,
)


def request(query: str) -> Request:
    return Request({"type": "http", "query_string": query.encode(), "headers": []})


def svg(uri: str | None) -> str:
    assert uri is not None and uri.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(uri.split(",", 1)[1]).decode()


def test_the_default_period_is_this_quarter_so_far() -> None:
    assert this_quarter(datetime(2026, 12, 3, tzinfo=UTC)) == Period("2026-10", "2026-12")
    assert this_quarter(datetime(2026, 1, 31, tzinfo=UTC)) == Period("2026-01", "2026-01")


def test_the_filter_names_the_field_it_cannot_mean() -> None:
    f = read_filter(request("from=2025-01&to=2025-03&province=hunan&method=c2"), ["hunan"])
    assert (f.period, f.province, f.method) == (Period("2025-01", "2025-03"), "hunan", "c2")
    assert f.query() == {"from": "2025-01", "to": "2025-03", "province": "hunan", "method": "c2"}
    for query, field in (
        ("from=2025-13&to=2025-12", "from"),
        ("from=2025-03&to=2025-01", "to"),
        ("from=2025-01&to=2025-01&province=atlantis", "province"),
        ("from=2025-01&to=2025-01&method=guess", "method"),
    ):
        with pytest.raises(FilterProblem) as problem:
            read_filter(request(query), ["hunan"])
        assert problem.value.field == field


def test_the_heat_map_shows_hidden_cells_as_hidden_and_absent_ones_as_zero() -> None:
    construction = {
        "provinces": [
            {"province": "shanxi", "incidents": 20, "suppressed": []},
            {"province": "hebei", "incidents": None, "suppressed": ["reports", "incidents"]},
        ]
    }
    healthcare = {"provinces": [{"province": "hebei", "incidents": 15, "suppressed": []}]}
    heat = heat_map(["construction", "healthcare"], [construction, healthcare], "")
    cells = {(r["province"], c["industry"]): c for r in heat["rows"] for c in r["cells"]}
    assert cells[("hebei", "construction")]["hidden"] is True
    assert cells[("hebei", "construction")]["shade"] == "heat-hidden"
    assert (
        cells[("shanxi", "construction")]["value"],
        cells[("shanxi", "healthcare")]["value"],
    ) == (
        20,
        0,
    )
    assert cells[("shanxi", "construction")]["shade"] == "heat-5"
    only = heat_map(["construction", "healthcare"], [construction, healthcare], "shanxi")
    assert [r["province"] for r in only["rows"]] == ["shanxi"]


def test_a_chart_has_no_script_and_leaves_a_hidden_count_out() -> None:
    drawn = svg(charts.bars("Incidents", ["construction", "mining"], [25, None]))
    assert "<script" not in drawn and "construction" in drawn and "mining" not in drawn
    assert charts.bars("Incidents", ["mining"], [None]) is None
    line = svg(charts.trend("By month", ["2025-01", "2025-02"], [25, None]))
    assert "<script" not in line and "2025-02" in line
