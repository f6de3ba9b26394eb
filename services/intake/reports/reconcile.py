"""Reconciliation: a report accepted with 201 whose case never opened or never got classified
is found and its submission published again.

The outbox (services/common/outbox.py) already publishes every report's event at least once,
and again to a broker that lost it. This is the last line: whatever else went wrong (an event
lost with the broker that held it, a write the database lost when it was killed), intake
hears from the tracker when it opened the report's case ("received") and when it routed the
classified case ("assigned", written after the classification): `consumer.py` marks both. The
tracker's own word, not the classifier's, since it is the case that must reach `classified`.
A report that has not heard both within `after` has its submission published again. Every
consumer recognises a repeat by event id, so a second publication cannot open a second case or
classify a report twice; the classifier and the tracker answer a repeat by publishing their own
event again, which is what was missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from prometheus_client import Counter

log = logging.getLogger(__name__)

REPUBLISHED = Counter(
    "tipline_reconcile_republished_total",
    "Reports whose submission was published again because their case had not opened or been "
    "classified in time",
)

# What intake hears back from the tracker for each report, and the stage each comes with.
OPENED, CLASSIFIED = "opened_at", "classified_at"
TRACKER = "tipline/tracker"
HEARD = {"received": OPENED, "assigned": CLASSIFIED}


class UnfinishedReports(Protocol):
    async def unfinished(self, received_before: datetime, now: datetime, limit: int) -> list[str]:
        """Ids of reports received before `received_before` that lack either mark and are not
        waiting out an earlier repair."""

    async def republish(self, report_ids: list[str], retry_at: datetime) -> None:
        """Puts their submissions back in their outboxes, to be published again, and leaves
        them alone until `retry_at`."""


@dataclass(frozen=True)
class Reconciliation:
    reports: UnfinishedReports
    clock: Callable[[], datetime]
    after: timedelta  # how long a report may go without both marks
    batch: int = 500

    async def run_once(self) -> int:
        """One round: the number of reports whose submission goes out again."""
        now = self.clock()
        stuck = await self.reports.unfinished(now - self.after, now, self.batch)
        if stuck:
            await self.reports.republish(stuck, now + self.after)
            REPUBLISHED.inc(len(stuck))
            log.warning("reports published again to finish them", extra={"count": len(stuck)})
        return len(stuck)


async def run_periodically(reconciliation: Reconciliation, every_seconds: float) -> None:
    """Rounds until cancelled; a round that fails (the database away) is tried at the next."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await reconciliation.run_once()
        except Exception as exc:
            log.warning("reconciliation round failed", extra={"error": type(exc).__name__})
