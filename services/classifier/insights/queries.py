"""The questions the read model answers: plain functions given the store and k.

Every count passes the disclosure rules (disclosure.py) before it leaves here; the rows carry
`suppressed`, the names of the figures hidden in them. Answers read cells only, never reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.classifier.insights import detection, disclosure
from services.classifier.insights.adapters import InsightStore
from services.classifier.insights.disclosure import Count, protect, share, shown
from services.classifier.insights.domain import MEASURES, OUTCOMES, UNKNOWN, median_days
from services.classifier.insights.periods import Period

Row = dict[str, Any]
HOTSPOT_RATIO = 2.0  # a cell at least twice its expected share …
HOTSPOT_P = 0.01  # … and that unlikely under its expected share (Poisson upper tail)


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    total: Row | None = None


Series = dict[str, dict[str, list[int]]]  # key -> measure -> counts per month of the period


def _by_month(
    docs: Iterable[Mapping[str, Any]],
    months: list[str],
    parts: Callable[[Mapping[str, Any]], Iterable[tuple[str, Mapping[str, Any]]]],
) -> Series:
    """Adds up each cell's `parts` (key, counts) into series over the months (0 where none)."""
    position = {m: i for i, m in enumerate(months)}
    out: Series = {}
    for doc in docs:
        i = position.get(doc["month"])
        if i is None:
            continue
        for key, counts in parts(doc):
            by_measure = out.setdefault(key, {})
            for measure in MEASURES:
                by_measure.setdefault(measure, [0] * len(months))[i] += int(counts.get(measure, 0))
    return out


def _monthly(
    docs: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str], months: list[str]
) -> Series:
    """A cell's own counts, by `key` of the cell."""
    return _by_month(docs, months, lambda doc: [(key(doc), doc)])


def _nested(docs: Iterable[Mapping[str, Any]], field: str, months: list[str]) -> Series:
    """The finer counts a cell holds in its map `field` (crimes, cities), by their key."""
    return _by_month(docs, months, lambda doc: (doc.get(field) or {}).items())


def _protected_rows(
    keyed: Mapping[str, Mapping[str, list[int]]],
    k: int,
    total: Mapping[str, list[int]] | None,
    name: str,
) -> tuple[list[Row], Row | None]:
    """Rows of reports and incidents, each measure protected as its own table."""
    keys = sorted(keyed)
    rows: list[Row] = [{name: key, "suppressed": []} for key in keys]
    total_row: Row | None = None if total is None else {"suppressed": []}
    for measure in ("reports", "incidents"):
        counts = [Count.of(keyed[key].get(measure, [0])) for key in keys]
        whole = None if total is None else Count.of(total.get(measure, [0]))
        done = protect(counts, k, whole)
        for row, count, hidden in zip(rows, counts, done.hidden, strict=True):
            row[measure] = shown(count, hidden)
            if hidden:
                row["suppressed"].append(measure)
        if total_row is not None and whole is not None:
            total_row[measure] = shown(whole, done.total_hidden)
            if done.total_hidden:
                total_row["suppressed"].append(measure)
    for row, key in zip(rows, keys, strict=True):
        row["official_share"] = share(
            Count.of(keyed[key].get("official_incidents", [0])),
            Count.of(keyed[key].get("incidents", [0])),
            k,
            "incidents" in row["suppressed"],
        )
    return rows, total_row


def _ordered(rows: list[Row], measure: str) -> list[Row]:
    """Shown rows by the measure, largest first; hidden rows after them by name, so that the
    order itself says nothing about a hidden count."""
    shown_rows = [r for r in rows if r.get(measure) is not None]
    hidden_rows = [r for r in rows if r.get(measure) is None]
    return sorted(shown_rows, key=lambda r: -r[measure]) + hidden_rows


def _add(series: Iterable[Mapping[str, list[int]]]) -> dict[str, list[int]]:
    total: dict[str, list[int]] = {}
    for by_measure in series:
        for measure, counts in by_measure.items():
            into = total.setdefault(measure, [0] * len(counts))
            for i, value in enumerate(counts):
                into[i] += value
    return total


async def industries(store: InsightStore, period: Period, k: int) -> Table:
    """Top industries by incidents, each with its change against the previous period."""
    previous = period.previous()
    docs = await store.read_cells("i", previous.first, period.last, counts_only=True)
    now = _monthly(docs, lambda d: d["industry"], period.months)
    before = _monthly(docs, lambda d: d["industry"], previous.months)
    rows, total = _protected_rows(now, k, _add(now.values()), "industry")
    earlier, _ = _protected_rows(before, k, _add(before.values()), "industry")
    earlier_by = {r["industry"]: r for r in earlier}
    for row in rows:
        was = earlier_by.get(row["industry"], {"incidents": 0, "reports": 0})
        row["previous_incidents"] = was["incidents"]
        row["incidents_change"] = disclosure.change(row["incidents"], was["incidents"])
    for row in earlier:  # an industry with none now but some before still shows its fall
        if row["industry"] not in now:
            rows.append({**row, "reports": 0, "incidents": 0, "official_share": None})
            rows[-1]["previous_incidents"] = row["incidents"]
            rows[-1]["incidents_change"] = disclosure.change(0, row["incidents"])
    return Table(_ordered(rows, "incidents"), total)


def _outcomes(docs: Sequence[Mapping[str, Any]], k: int) -> Row:
    counts = {
        kind: sum(int(d.get("concluded", {}).get(kind, 0)) for d in docs) for kind in OUTCOMES
    }
    concluded = sum(counts.values())
    days: dict[int, int] = {}
    for doc in docs:
        for day, n in (doc.get("days") or {}).items():
            days[int(day)] = days.get(int(day), 0) + int(n)
    whole = Count(concluded)
    out: Row = {"concluded": shown(whole, disclosure.too_small(whole, k))}
    for kind, n in counts.items():
        out[f"{kind}_share"] = share(Count(n), whole, k)
    decided = Count(counts["substantiated"] + counts["unsubstantiated"])
    out["substantiation_rate"] = share(Count(counts["substantiated"]), decided, k)
    out["median_days_to_conclusion"] = median_days(days) if concluded >= k else None
    return out


def _hide(rows: Iterable[Row], measures: Iterable[str]) -> None:
    """Rule 3 of disclosure.py: a figure hidden elsewhere is hidden here too."""
    for measure in measures:
        for row in rows:
            if row.get(measure) is not None:
                row[measure] = None
                row["suppressed"].append(measure)
            if measure == "incidents":
                row["official_share"] = None


def _province_rows(
    docs: Iterable[Mapping[str, Any]], totals: Mapping[str, list[int]], months: list[str], k: int
) -> tuple[dict[str, dict[str, list[int]]], list[Row]]:
    by_province = _monthly(docs, lambda d: d["province"], months)
    rows, _ = _protected_rows(by_province, k, totals, "province")
    return by_province, rows


async def industry(store: InsightStore, name: str, period: Period, k: int) -> Row:
    """One industry: totals, outcomes, crime types, provinces, cities and the monthly trend."""
    months = period.months
    overview = {r["industry"]: r for r in (await industries(store, period, k)).rows}
    summary = overview.get(name) or {"reports": 0, "incidents": 0, "suppressed": []}
    overall = await store.read_cells("i", period.first, period.last, industry=name)
    totals = _monthly(overall, lambda d: d["industry"], months).get(name, {})
    provinces = await store.read_cells("p", period.first, period.last, industry=name)
    by_province, province_rows = _province_rows(provinces, totals, months, k)
    by_crime = _nested(overall, "crimes", months)
    crime_rows, _ = _protected_rows(by_crime, k, totals, "crime_type")
    trend = _trend(totals, months, k)
    cities = _cities(provinces, period, k, by_province, province_rows)
    for rows in (province_rows, crime_rows, trend, cities):
        _hide(rows, summary["suppressed"])
    return {
        "industry": name,
        "reports": summary["reports"],
        "incidents": summary["incidents"],
        "official_share": summary.get("official_share"),
        "suppressed": summary["suppressed"],
        **_outcomes(overall, k),
        "crime_types": _ordered(crime_rows, "incidents"),
        "provinces": _ordered(province_rows, "incidents"),
        "cities": cities,
        "trend": trend,
    }


def _cities(
    docs: list[dict[str, Any]],
    period: Period,
    k: int,
    by_province: Mapping[str, Mapping[str, list[int]]],
    province_rows: list[Row],
) -> list[Row]:
    hidden = {r["province"]: r["suppressed"] for r in province_rows}
    rows: list[Row] = []
    for province, counts in sorted(by_province.items()):
        inside = [d for d in docs if d["province"] == province]
        by_city = _nested(inside, "cities", period.months)
        if not by_city:
            continue
        found, _ = _protected_rows(by_city, k, counts, "city")
        _hide(found, hidden.get(province, []))
        rows += [{"province": province, **row} for row in found]
    return _ordered(rows, "incidents")


def _trend(totals: Mapping[str, list[int]], months: list[str], k: int) -> list[Row]:
    """Each month a cell of its own, protected against the period's total (which the month
    rule hides whenever a month is hidden)."""
    keyed = {
        m: {measure: [counts[i]] for measure, counts in totals.items()}
        for i, m in enumerate(months)
    }
    rows, _ = _protected_rows(keyed, k, dict(totals) or None, "month")
    return rows


def _poisson_upper_tail(n: int, mean: float) -> float:
    """P(X >= n) for X ~ Poisson(mean)."""
    if mean <= 0:
        return 0.0 if n > 0 else 1.0
    term = math.exp(-mean)
    below = 0.0
    for i in range(n):
        below += term
        term *= mean / (i + 1)
    return max(0.0, 1.0 - below)


async def hotspots(
    store: InsightStore, period: Period, k: int, measure: str = "incidents"
) -> list[Row]:
    """Province × industry cells far above their expected share: expected = the province's
    total × the industry's total / the grand total (independence), flagged at HOTSPOT_RATIO
    times that and a Poisson upper tail under HOTSPOT_P. Only cells shown in the industry's
    own provinces table are named (disclosure rule 3)."""
    months = period.months
    docs = [
        d
        for d in await store.read_cells("p", period.first, period.last, counts_only=True)
        if d["province"] != UNKNOWN and d["industry"] != UNKNOWN
    ]
    cells = _monthly(docs, lambda d: f"{d['province']}|{d['industry']}", months)
    value = {key: sum(m.get(measure, [0])) for key, m in cells.items()}
    grand = sum(value.values())
    by_province: dict[str, int] = {}
    by_industry: dict[str, int] = {}
    for key, n in value.items():
        province, name = key.split("|")
        by_province[province] = by_province.get(province, 0) + n
        by_industry[name] = by_industry.get(name, 0) + n
    published = await _published_province_cells(store, period, k, sorted(by_industry))
    rows = []
    for key, n in value.items():
        province, name = key.split("|")
        expected = by_province[province] * by_industry[name] / grand if grand else 0.0
        if published.get((name, province), {}).get(measure) is None or expected <= 0:
            continue
        ratio = n / expected
        if ratio >= HOTSPOT_RATIO and _poisson_upper_tail(n, expected) < HOTSPOT_P:
            rows.append(
                {
                    "province": province,
                    "industry": name,
                    measure: n,
                    "expected": round(expected, 1),
                    "ratio": round(ratio, 2),
                    "official_share": published[(name, province)].get("official_share"),
                }
            )
    return sorted(rows, key=lambda r: -r["ratio"])


async def _published_province_cells(
    store: InsightStore, period: Period, k: int, names: list[str]
) -> dict[tuple[str, str], Row]:
    """Each industry's provinces table as its own page shows it."""
    overview = {r["industry"]: r for r in (await industries(store, period, k)).rows}
    overall = await store.read_cells("i", period.first, period.last, counts_only=True)
    provinces = await store.read_cells("p", period.first, period.last, counts_only=True)
    totals = _monthly(overall, lambda d: d["industry"], period.months)
    out: dict[tuple[str, str], Row] = {}
    for name in names:
        inside = [d for d in provinces if d["industry"] == name]
        _, rows = _province_rows(inside, totals.get(name, {}), period.months, k)
        _hide(rows, overview.get(name, {}).get("suppressed", []))
        out.update({(name, r["province"]): r for r in rows})
    return out


async def spikes(
    store: InsightStore, period: Period, k: int, method: str, by_province: bool = False
) -> list[Row]:
    """Months in the period where a cell's incidents jump, by `method` (detection.py), over
    series that start early enough for the method's baseline. Only spikes that pass k."""
    span = period.extended_back(detection.baseline_length(method))
    family = "p" if by_province else "i"
    docs = await store.read_cells(family, span.first, span.last, counts_only=True)

    def key(doc: Mapping[str, Any]) -> str:
        return f"{doc['industry']}|{doc['province']}" if by_province else doc["industry"]

    months = span.months
    watched = set(period.months)
    rows = []
    published: dict[str, dict[tuple[str, str], Row]] = {}
    for cell, measures in sorted(_monthly(docs, key, months).items()):
        series = measures.get("incidents", [0] * len(months))
        for alarm in detection.detect(series, method):
            month = months[alarm.index]
            if month not in watched or alarm.value < k:
                continue
            if month not in published:  # shown only as that month's own tables show it
                published[month] = await _published_month(store, month, k, by_province)
            industry_name, _, province = cell.partition("|")
            if published[month].get((industry_name, province), {}).get("incidents") is None:
                continue
            row: Row = {"industry": cell.split("|")[0]}
            if by_province:
                row["province"] = cell.split("|")[1]
            row.update(
                month=months[alarm.index],
                incidents=alarm.value,
                expected=alarm.expected,
                score=alarm.score,
                method=method,
            )
            rows.append(row)
    return rows


async def _published_month(
    store: InsightStore, month: str, k: int, by_province: bool
) -> dict[tuple[str, str], Row]:
    """(industry, province or "") -> the row that month's overview or provinces table shows."""
    alone = Period(month, month)
    if by_province:
        names = sorted(
            {d["industry"] for d in await store.read_cells("i", month, month, counts_only=True)}
        )
        return await _published_province_cells(store, alone, k, names)
    return {(r["industry"], ""): r for r in (await industries(store, alone, k)).rows}


ENTITY_LINK = "/v1/insights/entities/{ref}"
CLUSTER_LINK = "/v1/staff/clusters/{cluster}"
ENTITY_SCAN = 500  # entities read per industry, most-reported first, before ranking by incidents


def _entity_counts(doc: Mapping[str, Any]) -> tuple[int, int]:
    """Separate reports (a campaign's copies not counted again) and provinces an entity is
    named in. Not clusters: the classifier puts every report sharing an entity into one
    cluster, so an entity's cluster count would always be one."""
    members = doc.get("members") or []
    return sum(1 for m in members if not m.get("d")), len({m["p"] for m in members})


async def recurring_entities(
    store: InsightStore, name: str, k: int, analyst: bool, limit: int = 50
) -> Table:
    """Entities (a company, a phone, a plate) named in several separate reports of one
    industry, as counts only: never the value. For analysts only those in at least k reports
    are listed; the others are counted. Each row links to the page an investigator in scope
    can open."""
    rows: list[Row] = []
    withheld = 0
    for doc in await store.recurring_entities(name, ENTITY_SCAN):
        reports, provinces = _entity_counts(doc)
        if reports < 2:
            continue
        if analyst and reports < k:
            withheld += 1
            continue
        rows.append(
            {
                "entity": doc["_id"],
                "kind": doc.get("kind"),
                "reports": reports,
                "provinces": provinces,
                "summary": f"one {doc.get('kind')} appears in {reports} separate reports"
                f" in {provinces} province{'s' if provinces != 1 else ''}",
                "link": ENTITY_LINK.format(ref=doc["_id"]),
            }
        )
    rows.sort(key=lambda r: (-r["reports"], -r["provinces"], r["entity"]))
    return Table(rows[:limit], {"withheld_under_min_cell": withheld})


async def entity_incidents(
    store: InsightStore, ref: str, may_see: Callable[[str], bool]
) -> Row | None:
    """An entity's incidents that the reader's scope covers, each a link to its cluster; the
    others are counted, never shown. None when the entity is unknown."""
    doc = await store.entity(ref)
    if doc is None:
        return None
    clusters: dict[str, dict[str, Any]] = {}
    outside: set[str] = set()
    for member in doc.get("members") or []:
        if not may_see(member["p"]):
            outside.add(member["c"])
            continue
        entry = clusters.setdefault(member["c"], {"reports": 0, "provinces": set()})
        entry["reports"] += 1
        entry["provinces"].add(member["p"])
    return {
        "entity": ref,
        "kind": doc.get("kind"),
        "industry": doc.get("industry"),
        "incidents": [
            {
                "cluster_id": cluster,
                "reports_in_your_scope": entry["reports"],
                "provinces": sorted(entry["provinces"]),
                "link": CLUSTER_LINK.format(cluster=cluster),
            }
            for cluster, entry in sorted(clusters.items())
        ],
        "incidents_outside_your_scope": len(outside - set(clusters)),
    }
