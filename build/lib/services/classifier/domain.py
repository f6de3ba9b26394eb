"""Classifier's domain: from what was reported to categories. No I/O here."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from services.classifier.rules import CITIES, CRIME_TYPE_KEYWORDS, OTHER, PROVINCES, RULES_VERSION
from services.common.events import (
    STAGE_CHANGED_V1,
    Classification,
    Envelope,
    Stage,
    StageChanged,
    derived_event_id,
    new_event,
)

SOURCE = "tipline/classifier"

_ADMINISTRATIVE_SUFFIXES = re.compile(
    r"(壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区|省|市|\s+(province|city|municipality))$",
    re.IGNORECASE,
)


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@cache
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # Chinese has no spaces between words: match anywhere. English: whole words only.
    if _is_cjk(keyword):
        return re.compile(re.escape(keyword))
    return re.compile(rf"\b{re.escape(keyword)}\b", re.IGNORECASE)


def crime_types(text: str) -> list[str]:
    found = [
        crime_type
        for crime_type, keywords in CRIME_TYPE_KEYWORDS.items()
        if any(_keyword_pattern(k).search(text) for k in keywords)
    ]
    return found or [OTHER]


def _canonical_place(name: str) -> str:
    return _ADMINISTRATIVE_SUFFIXES.sub("", name.strip()).strip().lower()


def province_of(location: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(province id, city id) from the reporter's location fields, or None where unknown."""
    if not location:
        return None, None
    province = None
    if location.get("province"):
        wanted = _canonical_place(location["province"])
        province = next((pid for pid, names in PROVINCES.items() if wanted in names), None)
    city = None
    if location.get("city"):
        wanted = _canonical_place(location["city"])
        match = next(((cid, pid) for cid, (pid, names) in CITIES.items() if wanted in names), None)
        if match is not None:
            city = match[0]
            province = province or match[1]
    return province, city


def classify(content: dict[str, Any]) -> Classification:
    text = " ".join(
        [
            content.get("narrative", ""),
            content.get("industry_hint") or "",
            *content.get("organisations_involved", []),
        ]
    )
    province, city = province_of(content.get("location"))
    return Classification(
        crime_types=crime_types(text), province=province, city=city, rules_version=RULES_VERSION
    )


def classified_event(
    submitted_event_id: str, report_id: str, result: Classification, at: datetime
) -> Envelope:
    return new_event(
        source=SOURCE,
        type=STAGE_CHANGED_V1,
        subject=report_id,
        data=StageChanged(
            report_id=report_id, stage=Stage.CLASSIFIED, at=at, classification=result
        ),
        event_id=derived_event_id(submitted_event_id, Stage.CLASSIFIED.value),
    )
