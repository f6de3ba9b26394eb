"""A sample's published record, and its check by anyone who holds it.

This module needs only the standard library and Rivest's consistent sampler, so that an
outsider can run `python -m services.audit.sample verify RECORD.json` without a database, a
broker or the rest of Tipline. Everything the record's hashes, seed and selection are computed
from is written here, once: the service draws with these functions and `verify` re-derives
with them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from consistent_sampler import sampler

FORMAT = "tipline-sample/1"
ALGORITHM = {
    "name": "consistent_sampler",
    "package": "consistent-sampler",
    "version": "1.0.10",
    "ticket": "SHA-256 of SHA-256(seed) + report id; the smallest tickets are drawn",
}
# One rolled ten-sided die is one digit.
DICE_FACES = range(10)


def canonical_json(value: Any) -> str:
    """One stable text for hashing: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def lines_hash(lines: Iterable[str]) -> str:
    """SHA-256 of the lines, each ending in a newline, in UTF-8 (`sha256sum` of the file)."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def population_hash(report_ids: Iterable[str]) -> str:
    """The report ids, sorted, one a line."""
    return lines_hash(sorted(report_ids))


def strata_hash(strata: Mapping[str, str]) -> str:
    """One line per report id, sorted by id: `id<TAB>stratum`."""
    return lines_hash(f"{report_id}\t{strata[report_id]}" for report_id in sorted(strata))


def commitment_hash(commitment: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(commitment).encode()).hexdigest()


def sample_size(rule: Mapping[str, Any], population: int) -> int:
    """n = min(N, max(minimum, ceil(rate × N))); the rate is a decimal string, so every
    reader computes the same n."""
    wanted = max(int(rule["minimum"]), math.ceil(Decimal(str(rule["rate"])) * population))
    return min(wanted, population)


def stratum_counts(strata: Mapping[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for stratum in strata.values():
        counts[stratum] = counts.get(stratum, 0) + 1
    return dict(sorted(counts.items()))


def sample_sizes(rule: Mapping[str, Any], counts: Mapping[str, int]) -> dict[str, int]:
    """The rule applied to each stratum on its own."""
    return {stratum: sample_size(rule, count) for stratum, count in sorted(counts.items())}


def derive_seed(
    commitment_hash_hex: str, beacon: Mapping[str, Any] | None, dice: Iterable[int]
) -> str:
    """SHA-256 over the commitment hash and the randomness, as lines:
    `commitment:<hash>`, then `beacon:<round>:<value in lower-case hex>` if a beacon was
    named, then `dice:<d1>,<d2>,…` if dice were rolled."""
    lines = [f"commitment:{commitment_hash_hex}"]
    if beacon is not None:
        lines.append(f"beacon:{int(beacon['round'])}:{str(beacon['value']).lower()}")
    rolled = [int(d) for d in dice]
    if rolled:
        lines.append("dice:" + ",".join(str(d) for d in rolled))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def select(
    report_ids: Iterable[str],
    strata: Mapping[str, str] | None,
    sizes: Mapping[str, int] | int,
    seed: str,
) -> list[dict[str, Any]]:
    """The drawn reports in ticket order (within each stratum, strata in name order).

    Each stratum is sampled on its own with the same seed; the consistent sampler gives each
    report the same ticket either way."""
    ids = sorted(report_ids)
    if strata is None:
        take = sizes if isinstance(sizes, int) else sum(sizes.values())
        return [
            {"report_id": report_id, "ticket": ticket}
            for ticket, report_id, _ in sampler(ids, seed=seed, take=take)
        ]
    assert not isinstance(sizes, int)
    groups: dict[str, list[str]] = {}
    for report_id in ids:
        groups.setdefault(strata[report_id], []).append(report_id)
    selection = []
    for stratum in sorted(groups):
        for ticket, report_id, _ in sampler(groups[stratum], seed=seed, take=sizes[stratum]):
            selection.append({"report_id": report_id, "ticket": ticket, "stratum": stratum})
    return selection


def verify_record(record: Mapping[str, Any]) -> list[str]:
    """Every way the record fails to hold together; empty when it holds.

    Checks the population list against its committed count and hash, the commitment against
    its hash, the sample size against the rule, and, once drawn, the seed from the
    commitment and the randomness, and the selection from the seed. The beacon's value itself
    is checked against the beacon's own public record, which needs the network (see the
    docs)."""
    try:
        return _problems(record)
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        return [f"the record is malformed: {type(exc).__name__}: {exc}"]


def _problems(record: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if record.get("format") != FORMAT:
        return [f"not a record of format {FORMAT!r}"]
    commitment = record["commitment"]
    if commitment_hash(commitment) != record["commitment_hash"]:
        problems.append("the commitment does not match its hash")
    population = list(record["population"])
    if population != sorted(set(population)):
        problems.append("the population list is not sorted or holds an id twice")
    if len(population) != commitment["population"]["count"]:
        problems.append("the population list does not hold the committed count of reports")
    if population_hash(population) != commitment["population"]["hash"]:
        problems.append("the population list does not match the committed population hash")
    strata = record.get("strata")
    if commitment.get("strata") is None:
        sizes: dict[str, int] | int = sample_size(commitment["rule"], len(population))
        if strata is not None:
            problems.append("the record has strata that were never committed")
    else:
        if strata is None or sorted(strata) != population:
            problems.append("the strata do not name each report of the population once")
            return problems
        if strata_hash(strata) != commitment["strata"]["hash"]:
            problems.append("the strata do not match the committed strata hash")
        if stratum_counts(strata) != commitment["strata"]["counts"]:
            problems.append("the strata do not hold the committed counts")
        sizes = sample_sizes(commitment["rule"], stratum_counts(strata))
    committed_sizes = commitment["sample_size"]
    if (sizes if isinstance(sizes, int) else sum(sizes.values())) != committed_sizes:
        problems.append("the committed sample size does not follow from the rule")
    if commitment["algorithm"] != ALGORITHM:
        problems.append(
            f"the record was drawn with {commitment['algorithm']}, this check runs {ALGORITHM}"
        )
    draw = record.get("draw")
    if draw is None:
        return problems
    problems += _draw_problems(record, commitment, draw, strata, sizes)
    return problems


def _draw_problems(
    record: Mapping[str, Any],
    commitment: Mapping[str, Any],
    draw: Mapping[str, Any],
    strata: Mapping[str, str] | None,
    sizes: dict[str, int] | int,
) -> list[str]:
    problems = []
    named, given = commitment.get("beacon"), draw.get("beacon")
    if (named is None) != (given is None) or (
        named is not None and given is not None and int(named["round"]) != int(given["round"])
    ):
        problems.append("the draw's beacon round is not the one named in the commitment")
    dice = [int(d) for d in draw.get("dice") or []]
    if len(dice) != int(commitment.get("dice", 0)) or any(d not in DICE_FACES for d in dice):
        problems.append("the draw's dice are not the committed number of digits 0-9")
    seed = derive_seed(record["commitment_hash"], given, dice)
    if seed != draw["seed"]:
        problems.append("the seed does not follow from the commitment and the randomness")
    if select(record["population"], strata, sizes, seed) != list(draw["selection"]):
        problems.append("the selection is not the one the seed draws")
    return problems
