"""`make bench-insights` (also run by `make bench`): the industry information's read model.

Loads N classified reports (1,000,000 by default) into the read model on an embedded SecantusDB,
through the same update code the consumer runs (`insights.updates.apply_events`), in batches:
the consumer applies what one poll brings (up to 500 events); a bulk load takes larger batches
(--batch, 20,000) so that 1,000,000 reports load in minutes instead of the 45 one-at-a-time
updates would take. The stream is generated in time order over 24 months: 11 industries by a
skewed mix, 31 provinces, a city for half the reports, one or two crime types, 12 % naming
officials, a fifth of the reports copies or relatives of an earlier one (same cluster).

Prints, against the targets:
  - the overview's p99 (`queries.industries` for the last 12 months and the 12 before, the
    answer of GET /v1/insights/industries without the HTTP layer), target < 200 ms;
  - one industry's breakdown p99 (GET /v1/insights/industries/{industry}), for reference;
  - the update cost per classified event: the bulk load's, and the consumer's at a batch of
    500 and of 1 (each measured on fresh reports after the load, on the loaded model).
Writes bench/insights-results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench.load import percentile
from deploy.local.stack import free_port, start_mongodb
from services.classifier.insights import domain, queries
from services.classifier.insights.adapters import InsightStore
from services.classifier.insights.domain import ReportState
from services.classifier.insights.periods import Period
from services.classifier.insights.updates import apply_events, step
from services.common.events import (
    STAGE_CHANGED_V1,
    Classification,
    Envelope,
    Stage,
    StageChanged,
    new_event,
)

RESULTS = Path(__file__).with_name("insights-results.json")
TARGET_OVERVIEW_P99_MS = 200.0
INDUSTRIES = (
    ("construction", 20),
    ("mining", 12),
    ("transport", 10),
    ("finance_lending", 14),
    ("entertainment_venues", 9),
    ("agriculture_fisheries", 6),
    ("real_estate_land", 11),
    ("retail_markets", 7),
    ("healthcare", 4),
    ("education", 3),
    ("other", 4),
)
PROVINCES = [f"province_{i:02d}" for i in range(31)]
CRIMES = [f"crime_{i}" for i in range(10)]
START = datetime(2024, 12, 1, tzinfo=UTC)
MONTHS = 24


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=20_000, help="events per bulk-load batch")
    parser.add_argument("--queries", type=int, default=200, help="timed overview queries")
    parser.add_argument(
        "--through-consumer",
        action="store_true",
        help="load through apply_events in batches of --batch (the consumer's path; slow)",
    )
    return parser.parse_args(argv)


class Stream:
    """Classified events in time order, deterministic for a seed."""

    def __init__(self, total: int, seed: int = 15) -> None:
        self.total = total
        self.rng = random.Random(seed)
        self.names = [name for name, _ in INDUSTRIES]
        self.weights = [weight for _, weight in INDUSTRIES]
        self.clusters: list[str] = []
        self.made = 0

    def events(self, count: int, prefix: str = "r") -> list[Envelope]:
        out = []
        for _ in range(count):
            n = self.made
            self.made += 1
            at = START + timedelta(seconds=(MONTHS * 30 * 86400) * n / max(self.total, 1))
            report_id = f"{prefix}{n:08d}"
            related = self.clusters and self.rng.random() < 0.2
            cluster = self.rng.choice(self.clusters[-5000:]) if related else report_id
            if not related:
                self.clusters.append(report_id)
            province = self.rng.choice(PROVINCES)
            result = Classification(
                crime_types=self.rng.sample(CRIMES, self.rng.choice((1, 1, 1, 2))),
                province=province,
                city=f"{province}_city_{self.rng.randrange(3)}"
                if self.rng.random() < 0.5
                else None,
                rules_version="bench",
                industry=self.rng.choices(self.names, self.weights)[0],
                official_involvement=self.rng.random() < 0.12,
                cluster_id=cluster,
            )
            stage = StageChanged(
                report_id=report_id, stage=Stage.CLASSIFIED, at=at, classification=result
            )
            out.append(
                new_event(
                    source="tipline/classifier",
                    type=STAGE_CHANGED_V1,
                    subject=report_id,
                    data=stage,
                )
            )
        return out


Apply = Callable[[InsightStore, list[Envelope], int], Awaitable[None]]


async def _pre_aggregated(store: InsightStore, events: list[Envelope], done: int) -> None:
    """Into an empty read model every report is new, so a chunk's states come from the
    domain's own functions in this process (`updates.step`), their cell increments are added
    up (`domain.difference`, `domain.add_up`) and written with the store's own writes: the
    states in one insert, each cell once per chunk."""
    states, changes = [], []
    for event in events:
        stage = StageChanged.model_validate(event.data)
        after = step(ReportState(), stage)
        changes.append(domain.difference(ReportState(), after))
        states.append(
            {"report_id": stage.report_id, "state": after.to_document(), "applied": [event.id]}
        )
    batch = f"preload-{done}"
    await store.add_to_cells(batch, domain.add_up(changes))
    await store.save_states([{**state, "new": True} for state in states])
    await store.finish(batch)


async def _through_consumer(store: InsightStore, events: list[Envelope], done: int) -> None:
    await apply_events(store, events, datetime.now(UTC))


async def load(
    store: InsightStore, stream: Stream, total: int, chunk: int, apply: Apply
) -> dict[str, float]:
    applied, generating, started = 0, 0.0, time.perf_counter()
    last_print = started
    while applied < total:
        t = time.perf_counter()
        events = stream.events(min(chunk, total - applied))
        generating += time.perf_counter() - t
        await apply(store, events, applied)
        applied += len(events)
        if time.perf_counter() - last_print > 15:
            last_print = time.perf_counter()
            rate = applied / (last_print - started - generating)
            print(f"  loaded {applied:,} of {total:,} ({rate:,.0f} events/s)", flush=True)
    elapsed = time.perf_counter() - started - generating
    return {"events": total, "seconds": round(elapsed, 1), "ms_per_event": 1000 * elapsed / total}


async def update_cost(store: InsightStore, stream: Stream, batch: int, events: int) -> float:
    """Milliseconds per event, applying fresh reports `batch` at a time."""
    prepared = [stream.events(batch, prefix=f"u{batch}-") for _ in range(max(events // batch, 1))]
    started = time.perf_counter()
    for chunk in prepared:
        await apply_events(store, chunk, datetime.now(UTC))
    return 1000 * (time.perf_counter() - started) / sum(len(c) for c in prepared)


async def timed(call: Any, times: int) -> dict[str, float | None]:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        seconds.append(1000 * (time.perf_counter() - started))
    return {"p50_ms": percentile(seconds, 50), "p99_ms": percentile(seconds, 99)}


async def run(args: argparse.Namespace, uri: str) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        store = InsightStore(client["bench"])
        await store.create_indexes()
        stream = Stream(args.reports)
        print(f"loading {args.reports:,} classified reports in chunks of {args.batch:,} …")
        apply = _through_consumer if args.through_consumer else _pre_aggregated
        loaded = await load(store, stream, args.reports, args.batch, apply)
        cells = await client["bench"]["insight_cells"].count_documents({})
        last = START + timedelta(days=MONTHS * 30 - 1)
        period = Period.parse(
            f"{last.year - 1:04d}-{last.month % 12 + 1:02d}", f"{last.year:04d}-{last.month:02d}"
        )
        overview = await timed(lambda: queries.industries(store, period, 5), args.queries)
        breakdown = await timed(
            lambda: queries.industry(store, "construction", period, 5), max(args.queries // 4, 20)
        )
        per_500 = await update_cost(store, stream, 500, 5000)
        per_1 = await update_cost(store, stream, 1, 300)
        return {
            "reports": args.reports,
            "load": loaded,
            "cells": cells,
            "period": period.as_dict(),
            "overview": overview,
            "industry_breakdown": breakdown,
            "update_ms_per_event": {
                f"{'consumer path' if args.through_consumer else 'pre-aggregated'} load,"
                f" chunks of {args.batch}": round(loaded["ms_per_event"], 3),
                "consumer, batch 500": round(per_500, 3),
                "consumer, one at a time": round(per_1, 3),
            },
        }
    finally:
        await client.close()


def report(results: dict[str, Any]) -> None:
    p99 = results["overview"]["p99_ms"]
    verdict = "meets" if p99 is not None and p99 < TARGET_OVERVIEW_P99_MS else "MISSES"
    print(f"read model: {results['reports']:,} classified reports in {results['cells']:,} cells")
    print(f"  loaded in {results['load']['seconds']} s")
    print(
        f"  overview p99 {p99:.1f} ms (p50 {results['overview']['p50_ms']:.1f}), "
        f"target < {TARGET_OVERVIEW_P99_MS:.0f} ms: {verdict}"
    )
    b = results["industry_breakdown"]
    print(f"  one industry's breakdown p99 {b['p99_ms']:.1f} ms (p50 {b['p50_ms']:.1f})")
    for name, cost in results["update_ms_per_event"].items():
        print(f"  update cost per classified event, {name}: {cost} ms")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tipline-bench-insights-") as tmp:
        port = free_port()
        database = start_mongodb(port, Path(tmp), storage=Path(tmp) / "db")
        try:
            results = asyncio.run(run(args, f"mongodb://127.0.0.1:{port}/"))
        finally:
            database.stop()
    report(results)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
