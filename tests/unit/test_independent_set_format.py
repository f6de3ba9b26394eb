"""Format and label validity of the independent evaluation set (not classifier scores).

The set is hand-written apart from the training material; see
services/classifier/data/independent/README.md. Nobody may tune on it.
"""

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "services" / "classifier" / "data"
REPORTS = DATA / "independent" / "reports.jsonl"
FIELDS = {
    "id",
    "lang",
    "text",
    "crime_types",
    "industry",
    "province",
    "city",
    "official_involvement",
    "priority",
    "group",
    "kind",
}
KINDS = {"first", "same_text", "paraphrase", "other_witness", "other_language"}


def _taxonomy() -> dict[str, Any]:
    taxonomy: dict[str, Any] = json.loads((DATA / "taxonomy.json").read_text(encoding="utf-8"))
    return taxonomy


def _reports() -> list[dict[str, Any]]:
    lines = REPORTS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_every_line_is_a_report_with_the_agreed_fields() -> None:
    reports = _reports()
    assert len(reports) >= 300
    for report in reports:
        assert set(report) == FIELDS, report["id"]
        assert re.fullmatch(r"ind-\d{4}", report["id"])
        assert re.fullmatch(r"inc-\d{3}", report["group"])
        assert report["lang"] in {"zh", "en", "mixed"}
        assert isinstance(report["text"], str) and report["text"].strip()
        assert isinstance(report["official_involvement"], bool)
        assert report["kind"] in KINDS
    ids = [report["id"] for report in reports]
    assert len(ids) == len(set(ids))


def test_labels_are_taxonomy_ids() -> None:
    taxonomy = _taxonomy()
    crime_types = {c["id"] for c in taxonomy["crime_types"]}
    industries = {i["id"] for i in taxonomy["industries"]}
    priorities = {p["id"] for p in taxonomy["priorities"]}
    cities = {r["id"]: {c["en"] for c in r["cities"]} for r in taxonomy["regions"]}
    for report in _reports():
        types = report["crime_types"]
        assert types and set(types) <= crime_types, report["id"]
        assert len(types) == len(set(types)), report["id"]
        assert "other" not in types or types == ["other"], report["id"]
        assert report["industry"] is None or report["industry"] in industries, report["id"]
        assert report["priority"] in priorities, report["id"]
        province, city = report["province"], report["city"]
        assert province is None or province in cities, report["id"]
        assert city is None or (province is not None and city in cities[province]), report["id"]


def test_each_group_starts_with_its_first_report() -> None:
    groups: dict[str, list[str]] = defaultdict(list)
    for report in _reports():
        groups[report["group"]].append(report["kind"])
    for group, kinds in groups.items():
        assert kinds[0] == "first" and "first" not in kinds[1:], group
        assert len(kinds) <= 5, group
