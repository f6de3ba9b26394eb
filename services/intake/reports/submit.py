"""Submitting a report: the one way a report gets in, whatever the channel.

The JSON API, the website, the messaging-app webhooks and staff entry all call `SubmitReport`
(same validation, storage and event). It is given its ports: the report store, the outbox
relay that publishes the stored event at once, the keyring and secret, and a clock.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from prometheus_client import Counter

from services.common.crypto import Keyring
from services.common.events import utcnow
from services.intake.reports.domain import (
    DuplicateReport,
    KeyUsedForAnotherReport,
    ReportAccepted,
    ReportIn,
    accept_report,
    idempotency_key_hash,
    open_answer,
    request_fingerprint,
)

log = logging.getLogger(__name__)

REPORTS_ACCEPTED = Counter("tipline_reports_accepted_total", "Reports accepted", ["channel"])


class Reports(Protocol):
    async def insert(self, document: dict[str, Any]) -> None:
        """Stores a new report; raises DuplicateReport if its idempotency key is taken."""

    async def find_by_idempotency_key(self, key_hash: str) -> dict[str, Any] | None: ...

    async def forget_idempotency(self, report_id: str) -> None: ...


class Outbox(Protocol):
    def hand_over(self, document: dict[str, Any]) -> None:
        """A stored document whose outbox should be published now."""


@dataclass(frozen=True)
class SubmitReport:
    store: Reports
    outbox: Outbox
    keyring: Keyring
    secret: bytes
    status_base_url: str
    idempotency_ttl: timedelta
    clock: Callable[[], datetime] = field(default=utcnow)

    async def __call__(
        self, report: ReportIn, idempotency_key: str | None
    ) -> ReportAccepted | KeyUsedForAnotherReport:
        """The tracking code for a new report, or the first answer again for a retry with the
        same Idempotency-Key (which is refused if it came back with a different report)."""
        if idempotency_key is not None:
            replay = await self._replay(report, idempotency_key)
            if replay is not None:
                return replay
        new = accept_report(
            report,
            keyring=self.keyring,
            secret=self.secret,
            status_base_url=self.status_base_url,
            idempotency_key=idempotency_key,
            idempotency_ttl=self.idempotency_ttl,
            now=self.clock(),
        )
        try:
            await self.store.insert(new.document)
        except DuplicateReport:
            # A concurrent retry with the same key won the race: answer as it did.
            replay = await self._replay(report, idempotency_key or "")
            if replay is None:
                raise
            return replay
        self.outbox.hand_over(new.document)
        REPORTS_ACCEPTED.labels(report.channel.value).inc()
        log.info(
            "report accepted", extra={"report_id": new.report_id, "channel": report.channel.value}
        )
        return new.answer

    async def _replay(
        self, report: ReportIn, key: str
    ) -> ReportAccepted | KeyUsedForAnotherReport | None:
        existing = await self.store.find_by_idempotency_key(idempotency_key_hash(key, self.secret))
        if existing is None:
            return None
        record = existing["idempotency"]
        if record["expires_at"] <= self.clock():
            # Forgotten by now, even if the periodic clean-up has not run: the key is free again.
            await self.store.forget_idempotency(existing["_id"])
            return None
        if not hmac.compare_digest(
            record["request_hash"], request_fingerprint(report, self.secret)
        ):
            return KeyUsedForAnotherReport()
        return open_answer(record["answer"], key, self.secret)
