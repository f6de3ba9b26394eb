"""Classifier's adapters: its own store of results, and intake's content API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.events import Classification


class ClassificationStore:
    """One classification per report, recording the event that asked for it (unique)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.classifications = db["classifications"]

    async def create_indexes(self) -> None:
        await self.classifications.create_index([("event_id", ASCENDING)], unique=True)

    async def for_event(self, event_id: str) -> tuple[Classification, datetime] | None:
        """What this event already produced, and when: a redelivery changes nothing."""
        found = await self.classifications.find_one({"event_id": event_id})
        if found is None:
            return None
        return Classification.model_validate(found), found["classified_at"]

    async def save(
        self, report_id: str, event_id: str, result: Classification, at: datetime
    ) -> bool:
        """Stores the report's classification; False if this event's is stored already.

        Keyed by report: a later event classifying the same report replaces, never adds."""
        try:
            await self.classifications.update_one(
                {"_id": report_id, "event_id": {"$ne": event_id}},
                {
                    "$set": {
                        **result.model_dump(mode="json"),
                        "event_id": event_id,
                        "classified_at": at,
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # this event's classification is there (unique event_id)
        return True


class ReportContentMissing(Exception):
    """Intake has no report with this id: the event points at nothing."""


class IntakeUnavailable(ConnectionError):
    """Intake cannot answer now (down, or refusing our token): wait, do not give up on events.

    A ConnectionError, so the consumer retries the same event instead of dead-lettering it.
    """


class IntakeContentClient:
    """Reads what was reported from intake's API: events carry references, never content."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0
        )

    async def content(self, report_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/internal/v1/reports/{report_id}/content")
        if response.status_code == 404:
            raise ReportContentMissing(report_id)
        if response.status_code in (401, 403) or response.status_code >= 500:
            raise IntakeUnavailable(f"intake answered {response.status_code}")
        response.raise_for_status()
        content: dict[str, Any] = response.json()
        return content

    async def close(self) -> None:
        await self.http.aclose()
