"""The sample's rules: periods, beacon rounds, the commitment and the draw. No I/O here;
whatever needs the time is given `now`. The period's result is in `results`, what goes into
the chain and onto the stage topic in `entries`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.audit.sample import record as published

UNKNOWN_PROVINCE = "unknown"


class SampleError(Exception):
    """A request the sample refuses; `field` names the input at fault, if one is."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class Invalid(SampleError):
    pass


class NotFound(SampleError):
    pass


class Refused(SampleError):
    """A second commit, a second draw, a second outcome: written to the log, never done."""


# -- periods ----------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    id: str
    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "start": iso(self.start), "end": iso(self.end)}


def parse_period(text: str, timezone: str = "UTC") -> Period:
    """A month, `2026-11`, in the office's time zone; or any interval `START--END` (also
    `START/END`) of ISO 8601 times with their zone, for tests and special audits."""
    text = text.strip()
    if month := _MONTH.match(text):
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise Invalid("a month is YYYY-MM with MM from 01 to 12", "period")
        # UTC needs no time zone database (a slim image may have none).
        try:
            zone = UTC if timezone == "UTC" else ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Invalid(f"no time zone {timezone!r} (SAMPLE_TIMEZONE)", "period") from exc
        start = datetime(year, number, 1, tzinfo=zone)
        end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
        return Period(text, start.astimezone(UTC), end.astimezone(UTC))
    parts = text.split("--") if "--" in text else text.split("/")
    if len(parts) != 2:
        raise Invalid("a period is a month YYYY-MM or an interval START--END", "period")
    try:
        start, end = (datetime.fromisoformat(part.replace("Z", "+00:00")) for part in parts)
    except ValueError as exc:
        raise Invalid(
            "an interval's ends are ISO 8601 times, e.g. 2026-11-01T00:00:00Z", "period"
        ) from exc
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("an interval's ends must carry their time zone (Z or +08:00)", "period")
    if not start < end:
        raise Invalid("an interval must end after it starts", "period")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    return Period(f"{iso(start)}--{iso(end)}", start, end)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- randomness -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Beacon:
    """A public randomness beacon whose round n is published at genesis + (n - 1) × period."""

    name: str
    chain_hash: str
    genesis: int  # Unix seconds
    period: int  # seconds
    value_hex_digits: int

    def round_at(self, moment: datetime) -> int:
        """The latest round published at `moment`."""
        return max(0, (int(moment.timestamp()) - self.genesis) // self.period + 1)

    def time_of(self, round_number: int) -> datetime:
        return datetime.fromtimestamp(self.genesis + (round_number - 1) * self.period, UTC)


BEACONS = {
    # drand's quicknet (League of Entropy): a 32-byte value every 3 seconds.
    "drand-quicknet": Beacon(
        "drand-quicknet",
        "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
        genesis=1692803367,
        period=3,
        value_hex_digits=64,
    ),
    # drand's default chain: a 32-byte value every 30 seconds.
    "drand-default": Beacon(
        "drand-default",
        "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
        genesis=1595431050,
        period=30,
        value_hex_digits=64,
    ),
}


def parse_beacon(text: str) -> tuple[int, str]:
    """`ROUND:HEX` as typed in from the beacon's page."""
    round_text, _, value = text.strip().partition(":")
    if not round_text.isdigit() or not re.fullmatch(r"[0-9a-fA-F]+", value):
        raise Invalid("the beacon is ROUND:HEX, e.g. 1234567:9a0b…", "beacon")
    return int(round_text), value.lower()


def parse_dice(values: str | Iterable[int] | None) -> list[int]:
    if values is None:
        return []
    items = values.replace(" ", "").split(",") if isinstance(values, str) else list(values)
    try:
        dice = [int(d) for d in items if str(d) != ""]
    except ValueError as exc:
        raise Invalid("dice are digits 0-9 separated by commas, e.g. 3,1,4", "dice") from exc
    if any(d not in published.DICE_FACES for d in dice):
        raise Invalid("each die is a digit from 0 to 9 (a ten-sided die)", "dice")
    return dice


# -- the commitment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    minimum: int
    rate: str  # a decimal string: every reader computes the same n
    stratify_by: str | None = None  # "province", or None

    def __post_init__(self) -> None:
        try:
            rate = Decimal(self.rate)
        except InvalidOperation as exc:
            raise Invalid("the rate is a decimal number, e.g. 0.02", "rate") from exc
        if not (0 <= rate <= 1) or not rate.is_finite():
            raise Invalid("the rate is between 0 and 1", "rate")
        if self.minimum < 0:
            raise Invalid("the minimum is 0 or more", "minimum")
        if self.stratify_by not in (None, "province"):
            raise Invalid("a sample is stratified by province, or not at all", "stratify_by")

    def as_dict(self) -> dict[str, Any]:
        return {
            "minimum": self.minimum,
            "rate": self.rate,
            "stratify_by": self.stratify_by,
            "size": "n = min(N, max(minimum, ceil(rate × N))), per stratum when stratified",
        }


@dataclass(frozen=True)
class CommitRequest:
    period: Period
    rule: Rule
    beacon: Beacon | None
    beacon_round: int | None = None  # None: the first round `beacon_delay` after now
    dice: int = 0  # how many ten-sided dice the ceremony will roll
    beacon_delay: timedelta = timedelta(hours=1)
    warnings: list[str] = field(default_factory=list)


def build_commitment(
    request: CommitRequest,
    population: Mapping[str, str],
    now: datetime,
    by: str,
) -> tuple[dict[str, Any], list[str]]:
    """The record before its draw, and the warnings to show. `population` maps each report
    id received in the period to its province (or "unknown")."""
    if request.beacon is None and request.dice <= 0:
        raise Invalid("the draw needs randomness: a beacon round, dice, or both", "beacon")
    if not 0 <= request.dice <= 200:
        raise Invalid("from 0 to 200 dice", "dice")
    warnings = []
    if request.period.end > now:
        warnings.append(
            f"the period {request.period.id} is still running until {iso(request.period.end)}: "
            "only the reports received so far are in it; the office commits after it ends"
        )
    beacon = None
    if request.beacon is not None:
        first_unknown = request.beacon.round_at(now) + 1
        chosen = request.beacon_round or request.beacon.round_at(now + request.beacon_delay) + 1
        if chosen < first_unknown:
            raise Invalid(
                f"round {chosen} is already published; name round {first_unknown} or later",
                "beacon_round",
            )
        beacon = {
            "name": request.beacon.name,
            "chain_hash": request.beacon.chain_hash,
            "round": chosen,
            "published_at": iso(request.beacon.time_of(chosen)),
        }
    ids = sorted(population)
    strata = dict(sorted(population.items())) if request.rule.stratify_by else None
    rule = request.rule.as_dict()
    if strata is None:
        size, committed_strata = published.sample_size(rule, len(ids)), None
    else:
        counts = published.stratum_counts(strata)
        sizes = published.sample_sizes(rule, counts)
        size = sum(sizes.values())
        committed_strata = {
            "by": request.rule.stratify_by,
            "hash": published.strata_hash(strata),
            "counts": counts,
            "sizes": sizes,
        }
    commitment = {
        "period": request.period.as_dict(),
        "committed_at": iso(now),
        "committed_by": by,
        "period_still_running": request.period.end > now,
        "population": {
            "count": len(ids),
            "hash": published.population_hash(ids),
            "hashed": "the report ids, sorted, one a line, each line ending in a newline",
        },
        "strata": committed_strata,
        "rule": rule,
        "sample_size": size,
        "algorithm": published.ALGORITHM,
        "beacon": beacon,
        "dice": request.dice,
    }
    record = {
        "format": published.FORMAT,
        "commitment": commitment,
        "commitment_hash": published.commitment_hash(commitment),
        "population": ids,
        "strata": strata,
        "draw": None,
    }
    return record, warnings


# -- the draw ---------------------------------------------------------------------------------


def build_draw(
    record: Mapping[str, Any],
    beacon_input: tuple[int, str] | None,
    dice: list[int],
    now: datetime,
    by: str,
) -> dict[str, Any]:
    commitment = record["commitment"]
    named = commitment["beacon"]
    beacon = None
    if named is None and beacon_input is not None:
        raise Invalid("this period's commitment names no beacon; draw with its dice", "beacon")
    if named is not None:
        if beacon_input is None:
            raise Invalid(f"give the value of beacon round {named['round']}", "beacon")
        round_number, value = beacon_input
        if round_number != named["round"]:
            raise Invalid(
                f"the commitment names round {named['round']}, not {round_number}", "beacon"
            )
        known = BEACONS.get(named["name"])
        if known is not None and len(value) != known.value_hex_digits:
            raise Invalid(f"a {known.name} value is {known.value_hex_digits} hex digits", "beacon")
        published_at = datetime.fromisoformat(named["published_at"].replace("Z", "+00:00"))
        if now < published_at:
            raise Invalid(
                f"round {round_number} is published at {named['published_at']}; its value "
                "cannot be known before: draw after that",
                "beacon",
            )
        beacon = {"round": round_number, "value": value}
    if len(dice) != commitment["dice"]:
        raise Invalid(f"the commitment names {commitment['dice']} dice, not {len(dice)}", "dice")
    seed = published.derive_seed(record["commitment_hash"], beacon, dice)
    strata = record["strata"]
    sizes = commitment["strata"]["sizes"] if strata is not None else commitment["sample_size"]
    return {
        "drawn_at": iso(now),
        "drawn_by": by,
        "beacon": beacon,
        "dice": dice,
        "seed": seed,
        "selection": published.select(record["population"], strata, sizes, seed),
    }


def sampled_ids(record: Mapping[str, Any]) -> list[str]:
    draw = record.get("draw") or {}
    return [entry["report_id"] for entry in draw.get("selection", [])]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def printable(record: Mapping[str, Any]) -> str:
    """The record as a page to print and pin up: what was frozen, what will seed the draw."""
    commitment = record["commitment"]
    lines = [
        f"Tipline monthly sample — period {commitment['period']['id']}",
        f"From {commitment['period']['start']} to {commitment['period']['end']} (end excluded)",
        f"Committed at {commitment['committed_at']} by {commitment['committed_by']}",
        f"Commitment hash: {record['commitment_hash']}",
        f"Reports in the period: {commitment['population']['count']}",
        f"Population hash (SHA-256): {commitment['population']['hash']}",
        f"Sample size: {commitment['sample_size']} (minimum {commitment['rule']['minimum']}, "
        f"rate {commitment['rule']['rate']}"
        + (f", by {commitment['rule']['stratify_by']})" if commitment["strata"] else ")"),
        f"Algorithm: {commitment['algorithm']['name']} {commitment['algorithm']['version']}",
    ]
    if commitment["beacon"]:
        beacon = commitment["beacon"]
        lines.append(
            f"Beacon: {beacon['name']} round {beacon['round']} (published {beacon['published_at']})"
        )
    if commitment["dice"]:
        lines.append(f"Dice: {commitment['dice']} ten-sided dice, rolled at the ceremony")
    if commitment["period_still_running"]:
        lines.append("Warning: committed before the period ended.")
    draw = record.get("draw")
    if draw:
        lines.append(f"Drawn at {draw['drawn_at']} by {draw['drawn_by']}; seed {draw['seed']}")
        lines += [f"  {e['ticket']}  {e['report_id']}" for e in draw["selection"]]
    else:
        lines.append("Not drawn yet.")
    return "\n".join(lines) + "\n"
