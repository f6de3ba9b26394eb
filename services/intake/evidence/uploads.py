"""The reporter's side of an upload: find the report a tracking code opens, store one file.

Shared by the JSON API (`evidence/api.py`) and the web form (`channels/evidence_form.py`): the
same limits, and the same throttle on failed code lookups, one per intake process (a guess
through either is counted against the same client).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from services.common.settings import EvidenceSettings, IntakeSettings
from services.common.throttle import FailureThrottle
from services.intake.evidence.adapters import EvidenceLimits, EvidenceStore, StoredEvidence

log = logging.getLogger(__name__)


def limits_from(settings: EvidenceSettings) -> EvidenceLimits:
    return EvidenceLimits(
        max_file_bytes=settings.evidence_max_file_bytes,
        max_report_bytes=settings.evidence_max_report_bytes,
        max_files_per_report=settings.evidence_max_files_per_report,
        max_document_bytes=settings.evidence_max_document_bytes,
    )


@dataclass
class UploadThrottle:
    """What every upload of one process shares: the limits, the secret that hashes codes, and
    the throttle on failed lookups (the upload is a tracking-code lookup too: guesses here are
    slowed as on the tracker)."""

    limits: EvidenceLimits
    secret: bytes
    failures: FailureThrottle

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> UploadThrottle:
        return cls(
            limits=limits_from(settings),
            secret=settings.tracking_code_secret.get_secret_value().encode(),
            failures=FailureThrottle(
                free_failures=settings.lookup_free_failures,
                window_seconds=settings.lookup_window_seconds,
                max_delay=settings.lookup_max_delay_seconds,
                refuse_after=settings.lookup_refuse_after_failures,
            ),
        )


@dataclass(frozen=True)
class ReporterUploads:
    store: EvidenceStore
    throttle: UploadThrottle

    @property
    def limits(self) -> EvidenceLimits:
        return self.throttle.limits

    async def report_for(self, client_address: str | None, code: str) -> str | None:
        """The report a tracking code opens, or None (an unknown or mistyped code); raises
        TooManyGuesses (429) past the throttle's threshold."""
        return await self.throttle.failures.guarded(
            client_address, lambda: self.store.report_for_code(code, self.throttle.secret)
        )

    async def attach(
        self,
        report_id: str,
        chunks: AsyncIterator[bytes],
        *,
        declared_type: str | None,
        filename: str | None,
    ) -> StoredEvidence:
        """Stores one file; raises TooLarge (413), TooMany or EvidenceRefused (422)."""
        return await self.store.attach(
            report_id, chunks, self.limits, declared_type=declared_type, filename=filename
        )


async def sweep_abandoned(store: EvidenceStore, older_than: timedelta) -> None:
    """Removes uploads a crash left half-written, every few minutes."""
    while True:
        try:
            removed = await store.remove_abandoned(older_than)
            if removed:
                log.info("abandoned evidence uploads removed", extra={"count": removed})
        except Exception as exc:
            log.warning("evidence sweep failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(min(older_than.total_seconds(), 600))
