"""The reconciliation use case through a fake of its store and a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.intake.reports.reconcile import Reconciliation

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeReports:
    """Reports by id: when each was received, what intake heard back, when to retry."""

    received: dict[str, datetime]
    heard: dict[str, set[str]] = field(default_factory=dict)
    retry_at: dict[str, datetime] = field(default_factory=dict)
    republished: list[str] = field(default_factory=list)

    async def unfinished(self, received_before: datetime, now: datetime, limit: int) -> list[str]:
        return [
            report_id
            for report_id, at in self.received.items()
            if at < received_before
            and self.heard.get(report_id, set()) != {"opened_at", "classified_at"}
            and self.retry_at.get(report_id, now) <= now
        ][:limit]

    async def republish(self, report_ids: list[str], retry_at: datetime) -> None:
        self.republished += report_ids
        self.retry_at.update(dict.fromkeys(report_ids, retry_at))


async def test_reports_not_opened_or_not_classified_in_time_are_published_again():
    reports = FakeReports(
        received={
            "done": T0 - timedelta(minutes=10),
            "never-opened": T0 - timedelta(minutes=10),
            "never-classified": T0 - timedelta(minutes=10),
            "young": T0 - timedelta(seconds=30),
        },
        heard={"done": {"opened_at", "classified_at"}, "never-classified": {"opened_at"}},
    )
    now = [T0]
    reconcile = Reconciliation(reports, lambda: now[0], after=timedelta(minutes=2))
    assert await reconcile.run_once() == 2
    assert sorted(reports.republished) == ["never-classified", "never-opened"]
    assert reports.retry_at["never-opened"] == T0 + timedelta(minutes=2)

    # Until the retry time, a repaired report is left to its repair.
    now[0] = T0 + timedelta(minutes=1)
    assert await reconcile.run_once() == 0
    # Heard back meanwhile: finished. Not heard: published once more. Now old enough: too.
    reports.heard["never-opened"] = {"opened_at", "classified_at"}
    now[0] = T0 + timedelta(minutes=3)
    assert await reconcile.run_once() == 2
    assert reports.republished[2:] == ["never-classified", "young"]


async def test_a_round_takes_at_most_one_batch():
    reports = FakeReports(received={f"r{i}": T0 - timedelta(hours=1) for i in range(7)})
    reconcile = Reconciliation(reports, lambda: T0, after=timedelta(minutes=2), batch=5)
    assert await reconcile.run_once() == 5
    assert await reconcile.run_once() == 2
