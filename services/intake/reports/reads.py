"""Reading a stored report: for staff (scoped, with a purpose) and for the classifier (content
only). Every read is recorded in the audit log first: if it cannot be, nothing is decrypted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from services.common.auth import Principal, Role
from services.common.crypto import Keyring
from services.intake.reports.domain import SOURCE, open_report


class NoSuchReport(Exception):
    pass


class OutOfScope(Exception):
    """The report is outside the reader's scope (or, to a scoped reader, does not exist)."""


class SealedReports(Protocol):
    async def sealed(self, report_id: str) -> dict[str, Any] | None: ...


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
            purpose="automatic classification, entity extraction and linking",
        )
        return open_report(document, self.keyring, ["content"])
