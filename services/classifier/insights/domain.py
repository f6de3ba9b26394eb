"""The read model's cells and the disclosure rules, as plain functions with no I/O.

A report's *state* (what the events said of it) decides what it adds to each cell; an event
moves a report from its old state to its new one, and the cells change by the difference. So a
re-classification that moves a report to another industry takes it out of the old cells, and a
redelivered event, whose state is already stored, changes nothing.

An *incident* is a cluster of linked reports (services/classifier/fingerprint.py). It is counted
once, by the cluster's founding report (the report whose id the cluster carries), in that
report's month and cells: a campaign of 50 copies is 50 reports and one incident, and incident
counts add up across months and cells like report counts do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.common.events import Classification, ConclusionKind

UNKNOWN = "unknown"  # an industry or province the classifier did not decide
MAX_DAYS = 730  # days to a conclusion are kept per day up to this, then in one last bucket
MEASURES = ("reports", "incidents", "official_reports", "official_incidents")
OUTCOMES = tuple(kind.value for kind in ConclusionKind)

# Cell families: each answers its questions from few documents. Finer counts live inside them
# as maps, so that one event changes two documents, not one per crime type and city:
#   i  month × industry              the overview, one industry's trend; `crimes.<crime type>`
#   p  month × industry × province   provinces, hotspots; `crimes.<crime type>` (month ×
#                                    industry × crime type × province) and `cities.<city>`
# A cell's id is its family and dimensions in this order.
FAMILY_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "i": ("month", "industry"),
    "p": ("industry", "month", "province"),
}
# A report counts once per crime type it names (a report can name two), so crime-type counts
# can add up to more than the report total.


@dataclass(frozen=True)
class ReportState:
    """What the events have said of one report. Categories only: no text, no entity values."""

    month: str | None = None  # YYYY-MM of the first classification
    classified_at: datetime | None = None
    industry: str = UNKNOWN
    province: str = UNKNOWN
    city: str | None = None
    crime_types: tuple[str, ...] = ()
    official: bool = False
    founder: bool = False  # the report its cluster is named after: it carries the incident
    cluster_id: str | None = None
    conclusion: str | None = None
    concluded_at: datetime | None = None

    @property
    def classified(self) -> bool:
        return self.month is not None

    @property
    def days_to_conclusion(self) -> int | None:
        if self.classified_at is None or self.concluded_at is None:
            return None
        seconds = (self.concluded_at - self.classified_at).total_seconds()
        return min(max(int(seconds // 86400), 0), MAX_DAYS)

    def to_document(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "classified_at": self.classified_at,
            "industry": self.industry,
            "province": self.province,
            "city": self.city,
            "crime_types": list(self.crime_types),
            "official": self.official,
            "founder": self.founder,
            "cluster_id": self.cluster_id,
            "conclusion": self.conclusion,
            "concluded_at": self.concluded_at,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any] | None) -> ReportState:
        if not doc:
            return cls()
        return cls(
            month=doc.get("month"),
            classified_at=doc.get("classified_at"),
            industry=doc.get("industry") or UNKNOWN,
            province=doc.get("province") or UNKNOWN,
            city=doc.get("city"),
            crime_types=tuple(doc.get("crime_types") or ()),
            official=bool(doc.get("official")),
            founder=bool(doc.get("founder")),
            cluster_id=doc.get("cluster_id"),
            conclusion=doc.get("conclusion"),
            concluded_at=doc.get("concluded_at"),
        )


def month_of(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def classified(
    state: ReportState, report_id: str, result: Classification, at: datetime
) -> ReportState:
    """A (re-)classification. The month stays that of the first one: a staff correction
    months later moves the report between industries, not between months."""
    cluster = result.cluster_id or report_id
    return replace(
        state,
        month=state.month or month_of(at),
        classified_at=state.classified_at or at,
        industry=result.industry or UNKNOWN,
        province=result.province or UNKNOWN,
        city=result.city,
        crime_types=tuple(sorted(set(result.crime_types))),
        official=result.official_involvement,
        founder=cluster == report_id,
        cluster_id=cluster,
    )


def concluded(state: ReportState, kind: ConclusionKind, at: datetime) -> ReportState:
    return replace(state, conclusion=kind.value, concluded_at=at)


def cell_id(family: str, values: Sequence[str]) -> str:
    return "|".join((family, *values))


def cell_dimensions(cell: str) -> dict[str, str]:
    family, *values = cell.split("|")
    return {"family": family, **dict(zip(FAMILY_DIMENSIONS[family], values, strict=True))}


def contributions(state: ReportState) -> dict[str, dict[str, int]]:
    """What one report adds to each cell it belongs to."""
    if state.month is None:
        return {}
    counts = {
        "reports": 1,
        "incidents": int(state.founder),
        "official_reports": int(state.official),
        "official_incidents": int(state.founder and state.official),
    }
    outcome: dict[str, int] = {}
    if state.conclusion is not None:
        outcome[f"concluded.{state.conclusion}"] = 1
        outcome[f"days.{state.days_to_conclusion}"] = 1
    m, ind, prov = state.month, state.industry, state.province
    nested: dict[str, int] = {}
    for crime in state.crime_types:
        nested.update({f"crimes.{_key(crime)}.{name}": v for name, v in counts.items()})
    i_cell = {**counts, **outcome, **nested}
    if state.city:
        nested.update({f"cities.{_key(state.city)}.{name}": v for name, v in counts.items()})
    return {
        cell_id("i", (m, ind)): i_cell,
        cell_id("p", (ind, m, prov)): {**counts, **outcome, **nested},
    }


def _key(label: str) -> str:
    """A label as a field name: taxonomy and region ids never hold these, but be sure."""
    return label.replace(".", "_").replace("$", "_")


def difference(before: ReportState, after: ReportState) -> dict[str, dict[str, int]]:
    """How the cells change when a report moves from one state to another (zeros dropped)."""
    old, new = contributions(before), contributions(after)
    out: dict[str, dict[str, int]] = {}
    for cell in old.keys() | new.keys():
        fields = old.get(cell, {}).keys() | new.get(cell, {}).keys()
        change = {f: new.get(cell, {}).get(f, 0) - old.get(cell, {}).get(f, 0) for f in fields}
        change = {f: v for f, v in change.items() if v}
        if change:
            out[cell] = change
    return out


def add_up(changes: Iterable[Mapping[str, Mapping[str, int]]]) -> dict[str, dict[str, int]]:
    """Several reports' changes as one increment per cell (zeros dropped)."""
    total: dict[str, dict[str, int]] = {}
    for change in changes:
        for cell, fields in change.items():
            into = total.setdefault(cell, {})
            for name, value in fields.items():
                into[name] = into.get(name, 0) + value
    return {
        cell: {f: v for f, v in fields.items() if v}
        for cell, fields in total.items()
        if any(fields.values())
    }


def median_days(histogram: Mapping[int, int]) -> float | None:
    """The median of a histogram of whole days (the mean of the two middle values)."""
    n = sum(histogram.values())
    if n == 0:
        return None
    ordered = sorted(histogram.items())

    def nth(i: int) -> int:
        seen = 0
        for days, count in ordered:
            seen += count
            if seen > i:
                return days
        raise AssertionError("unreachable")

    return (nth((n - 1) // 2) + nth(n // 2)) / 2
