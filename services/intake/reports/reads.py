"""Reading a stored report: for staff (scoped, with a purpose) and for the classifier (content
only). Every read is recorded in the audit log first: if it cannot be, nothing is decrypted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from services.common.auth import Principal, Role
from services.common.crypto import Keyring, KeyringError
from services.intake.reports.domain import SOURCE, open_report

log = logging.getLogger(__name__)

# The most reports the classifier reads in one request: its batches are smaller (64), and a
# larger one would hold one answer of many reports' content in memory at once.
MAX_CONTENTS_PER_READ = 200
CLASSIFIER_PURPOSE = "automatic classification, entity extraction and linking"

# How each report asked for in one read came out: its content, no such report, or a sealed
# content that does not open (altered, or its key retired): the one never stops the others.
ContentOutcome = Literal["found", "missing", "does_not_open"]


class NoSuchReport(Exception):
    pass


class OutOfScope(Exception):
    """The report is outside the reader's scope (or, to a scoped reader, does not exist)."""


class SealedReports(Protocol):
    async def sealed(self, report_id: str) -> dict[str, Any] | None: ...

    async def sealed_many(self, report_ids: list[str]) -> dict[str, dict[str, Any]]: ...


# services.common.access.record_access bound to the service's producer: raises 503 if the
# audit log cannot take the record.
RecordAccess = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class ReadReport:
    store: SealedReports
    keyring: Keyring
    record_access: RecordAccess

    async def for_staff(
        self, principal: Principal, report_id: str, parts: list[str], purpose: str
    ) -> dict[str, Any]:
        """The named parts of a report in the reader's scope, with its scope."""
        document = await self.store.sealed(report_id)
        scope = (document or {}).get("scope") or {}
        if document is None and principal.role is Role.SUPERVISOR:
            raise NoSuchReport
        # A scoped reader learns nothing about a report outside their scope, not even that
        # it exists.
        if document is None or not principal.may_see(scope.get("province"), scope.get("team")):
            raise OutOfScope
        await self.record_access(
            source=SOURCE, principal=principal, report_id=report_id, fields=parts, purpose=purpose
        )
        return {
            "report_id": report_id,
            "scope": scope,
            **open_report(document, self.keyring, parts),
        }

    async def for_classifier(self, report_id: str) -> dict[str, Any]:
        """What was reported, never who reported it."""
        document = await self.store.sealed(report_id)
        if document is None:
            raise NoSuchReport
        await self.record_access(
            source=SOURCE,
            service="classifier",
            report_id=report_id,
            fields=["content"],
            purpose=CLASSIFIER_PURPOSE,
        )
        return open_report(document, self.keyring, ["content"])

    async def contents_for_classifier(self, report_ids: list[str]) -> list[dict[str, Any]]:
        """What was reported, for many reports in one database read: each report's outcome
        (`ContentOutcome`) in the order asked, a repeated id once. Each report found is
        recorded in the audit log before anything is opened; if one record cannot be, the
        whole read is refused (503) and nothing is opened."""
        wanted = list(dict.fromkeys(report_ids))
        documents = await self.store.sealed_many(wanted) if wanted else {}
        await asyncio.gather(
            *(
                self.record_access(
                    source=SOURCE,
                    service="classifier",
                    report_id=report_id,
                    fields=["content"],
                    purpose=CLASSIFIER_PURPOSE,
                )
                for report_id in wanted
                if report_id in documents
            )
        )
        return [self._content_of(report_id, documents.get(report_id)) for report_id in wanted]

    def _content_of(self, report_id: str, document: dict[str, Any] | None) -> dict[str, Any]:
        if document is None:
            return {"report_id": report_id, "outcome": "missing"}
        try:
            content = open_report(document, self.keyring, ["content"])
        except KeyringError as exc:
            # An integrity alarm for this report alone; never a partial or wrong answer.
            log.error(
                "sealed report does not open",
                extra={"report_id": report_id, "error": type(exc).__name__},
            )
            return {"report_id": report_id, "outcome": "does_not_open"}
        return {"report_id": report_id, "outcome": "found", "content": content}
