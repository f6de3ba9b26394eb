"""Verifiers' outcomes and the period's result: counts, the share found authentic with its
Wilson interval, by province and crime type, small groups suppressed. No I/O here."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from services.audit.sample.domain import UNKNOWN_PROVINCE
from services.common.events import Stage


class Outcome(StrEnum):
    VERIFIED = "verified"
    VERIFICATION_FAILED = "verification_failed"
    COULD_NOT_VERIFY = "could_not_verify"

    @property
    def stage(self) -> Stage:
        return Stage(self.value)


Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for a share; None with no trials."""
    if trials == 0:
        return None
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def tally(report_ids: Iterable[str], outcomes: Mapping[str, str]) -> dict[str, Any]:
    ids = list(report_ids)
    counts = {outcome.value: 0 for outcome in Outcome}
    for report_id in ids:
        if report_id in outcomes:
            counts[outcomes[report_id]] += 1
    decided = counts[Outcome.VERIFIED] + counts[Outcome.VERIFICATION_FAILED]
    interval = wilson_interval(counts[Outcome.VERIFIED], decided)
    return {
        "sampled": len(ids),
        "checked": sum(counts.values()),
        "pending": len(ids) - sum(counts.values()),
        **counts,
        "authentic_share": counts[Outcome.VERIFIED] / decided if decided else None,
        "interval_95": list(interval) if interval else None,
    }


def summarise(
    sampled: list[str],
    outcomes: Mapping[str, str],
    categories: Mapping[str, tuple[str, list[str]]],
    min_count: int,
) -> dict[str, Any]:
    """How many were checked and the share found authentic (verified out of verified and
    failed; could-not-verify counts apart), overall and by province and crime type. A group
    of fewer than `min_count` sampled reports shows no figures, so no report stands out."""
    by_province: dict[str, list[str]] = {}
    by_crime: dict[str, list[str]] = {}
    for report_id in sampled:
        province, crime_types = categories.get(report_id, (UNKNOWN_PROVINCE, []))
        by_province.setdefault(province, []).append(report_id)
        for crime in crime_types or ["unknown"]:
            by_crime.setdefault(crime, []).append(report_id)

    def groups(grouped: dict[str, list[str]]) -> dict[str, Any]:
        return {
            name: tally(ids, outcomes) if len(ids) >= min_count else {"suppressed": True}
            for name, ids in sorted(grouped.items())
        }

    return {
        "overall": tally(sampled, outcomes),
        "by_province": groups(by_province),
        "by_crime_type": groups(by_crime),
        "suppressed_below": min_count,
        "interval": "Wilson score, 95 %",
    }
