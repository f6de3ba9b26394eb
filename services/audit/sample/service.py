"""The sample's use cases: commit, draw, record an outcome, summarise, list. The API and the
command line call these, given their stores, a publisher and the time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from services.audit.adapters import AuditLog
from services.audit.sample.adapters import LoggedReports, SamplePeriods
from services.audit.sample.domain import (
    BEACONS,
    UNKNOWN_PROVINCE,
    CommitRequest,
    Invalid,
    NotFound,
    Refused,
    Rule,
    build_commitment,
    build_draw,
    iso,
    parse_period,
    sampled_ids,
)
from services.audit.sample.entries import (
    OUTCOME_RECORDED_V1,
    committed_entry,
    drawn_entry,
    log_record,
    refused_entry,
    sampled_events,
    stage_event,
)
from services.audit.sample.results import Outcome, summarise
from services.common.crypto import Keyring
from services.common.events import Envelope, derived_event_id
from services.common.settings import SampleSettings

# Sends stage events to tipline.report.stage; raises when the broker cannot take them.
Publish = Callable[[list[Envelope]], Awaitable[None]]


async def commit(
    periods: SamplePeriods,
    reports: LoggedReports,
    log: AuditLog,
    request: CommitRequest,
    now: datetime,
    by: str,
) -> tuple[dict[str, Any], list[str]]:
    """Freezes the period's reports and names the randomness, in the store and in the chain.
    Returns the record (not drawn) and the warnings to show."""
    period = request.period
    ids = await reports.received_between(period.start, period.end)
    population = dict.fromkeys(ids, UNKNOWN_PROVINCE)
    if request.rule.stratify_by == "province":
        categories = await reports.categories(ids)
        population = {i: categories.get(i, (UNKNOWN_PROVINCE, []))[0] for i in ids}
    record, warnings = build_commitment(request, population, now, by)
    if not await periods.add(record):
        existing = await periods.get(period.id)
        assert existing is not None
        # Writes the first commitment's entry again, in case that commit stopped before it.
        await log.append(committed_entry(existing))
        reason = f"the period {period.id} was committed at {existing['commitment']['committed_at']}"
        await log.append(refused_entry(period.id, "commit", by, reason, now))
        raise Refused(f"{reason}; a period is committed once", "period")
    await log.append(committed_entry(record))
    return record, warnings


async def draw(
    periods: SamplePeriods,
    log: AuditLog,
    publish: Publish,
    period_id: str,
    beacon: tuple[int, str] | None,
    dice: list[int],
    now: datetime,
    by: str,
) -> dict[str, Any]:
    """Seeds the sampler with the committed randomness, stores and logs the draw, and marks
    each sampled case. A drawn period is never drawn again."""
    record = await periods.get(period_id)
    if record is None:
        raise NotFound(f"the period {period_id} is not committed", "period")
    if record["draw"] is None:
        drawn = build_draw(record, beacon, dice, now, by)
        if await periods.set_draw(period_id, drawn):
            record = {**record, "draw": drawn}
            await log.append(drawn_entry(record))
            await publish(sampled_events(record))
            return record
        record = await periods.get(period_id) or record
    # Refused. The first draw's entry and stage events go out again (the same ids, so a
    # repeat downstream), in case that draw stopped before sending them.
    await log.append(drawn_entry(record))
    reason = f"the period {period_id} was drawn at {record['draw']['drawn_at']}"
    await log.append(refused_entry(period_id, "draw", by, reason, now))
    await publish(sampled_events(record))
    raise Refused(f"{reason}; a period is drawn once", "period")


async def record_outcome(
    periods: SamplePeriods,
    log: AuditLog,
    publish: Publish,
    keyring: Keyring,
    period_id: str,
    report_id: str,
    outcome: Outcome,
    note: str | None,
    now: datetime,
    by: str,
    role: str,
) -> dict[str, Any]:
    """One verifier's finding for one sampled case, once; the note is sealed under the
    report's own data key, and neither the log nor the event carries it."""
    record = await periods.get(period_id)
    if record is None:
        raise NotFound(f"the period {period_id} is not committed", "period")
    if report_id not in sampled_ids(record):
        raise NotFound(f"this report is not in the sample of {period_id}", "report_id")
    sealed = None
    if note:
        data_key, wrapped = keyring.new_data_key(report_id)
        text = data_key.seal(f"verification_note|{period_id}", note.encode())
        sealed = {"key": wrapped, "text": text}
    view = {
        "period": period_id,
        "report_id": report_id,
        "outcome": outcome.value,
        "at": iso(now),
        "by": by,
        "role": role,
        "with_note": sealed is not None,
    }
    if not await periods.add_outcome({**view, "note": sealed}):
        reason = f"an outcome for this report in {period_id} is recorded already"
        await log.append(refused_entry(period_id, f"outcome:{report_id}", by, reason, now))
        raise Refused(f"{reason}; each sampled case gets one", "report_id")
    event_id = derived_event_id(record["commitment_hash"], f"outcome:{report_id}")
    await log.append(log_record(OUTCOME_RECORDED_V1, report_id, view, now, event_id))
    await publish([stage_event(report_id, outcome.stage, now, derived_event_id(event_id, "stage"))])
    return view


def open_note(keyring: Keyring, outcome: dict[str, Any]) -> str | None:
    """A verifier's note, opened; the caller has recorded the read first."""
    sealed = outcome.get("note")
    if not sealed:
        return None
    data_key = keyring.open_data_key(sealed["key"], outcome["report_id"])
    return data_key.open(f"verification_note|{outcome['period']}", sealed["text"]).decode()


async def summary(
    periods: SamplePeriods, reports: LoggedReports, period_id: str, min_count: int
) -> dict[str, Any]:
    record = await periods.get(period_id)
    if record is None:
        raise NotFound(f"the period {period_id} is not committed", "period")
    sampled = sampled_ids(record)
    result = summarise(
        sampled, await periods.outcomes_of(period_id), await reports.categories(sampled), min_count
    )
    return {"period": period_id, "drawn": record["draw"] is not None, **result}


async def status(periods: SamplePeriods) -> list[dict[str, Any]]:
    """Every period: when committed, how many reports, the randomness named, drawn or not,
    and how many outcomes are in."""
    recorded = await periods.outcome_counts()
    rows = []
    for document in await periods.all():
        commitment, drawn = document["commitment"], document.get("draw")
        rows.append(
            {
                "period": document["_id"],
                "committed_at": commitment["committed_at"],
                "still_running_when_committed": commitment["period_still_running"],
                "population": commitment["population"]["count"],
                "sample_size": commitment["sample_size"],
                "beacon_round": (commitment["beacon"] or {}).get("round"),
                "dice": commitment["dice"],
                "commitment_hash": document["commitment_hash"],
                "drawn_at": drawn["drawn_at"] if drawn else None,
                "outcomes_recorded": recorded.get(document["_id"], 0),
            }
        )
    return sorted(rows, key=lambda row: row["committed_at"])


def commit_request(
    settings: SampleSettings,
    period: str,
    *,
    minimum: int | None = None,
    rate: str | None = None,
    stratify_by: str | None = None,
    beacon_round: int | None = None,
    dice: int = 0,
    with_beacon: bool = True,
) -> CommitRequest:
    """What to commit: the office's rule from the settings unless the caller gives its own."""
    beacon = None
    if with_beacon:
        if settings.sample_beacon not in BEACONS:
            raise Invalid(f"unknown beacon {settings.sample_beacon!r}; one of {sorted(BEACONS)}")
        beacon = BEACONS[settings.sample_beacon]
    return CommitRequest(
        period=parse_period(period, settings.sample_timezone),
        rule=Rule(
            minimum=settings.sample_minimum if minimum is None else minimum,
            rate=settings.sample_rate if rate is None else rate,
            stratify_by=settings.sample_stratify_by if stratify_by is None else stratify_by or None,
        ),
        beacon=beacon,
        beacon_round=beacon_round,
        dice=dice,
        beacon_delay=timedelta(seconds=settings.sample_beacon_delay_seconds),
    )
