"""Classifier's adapters: its own store of results, and intake's content API."""

from __future__ import annotations

from typing import Any

import httpx
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from services.common.events import Classification, utcnow


class ClassificationStore:
    """One classification per report, recording the event that asked for it (unique)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.classifications = db["classifications"]

    async def create_indexes(self) -> None:
        await self.classifications.create_index([("event_id", ASCENDING)], unique=True)

    async def save(self, report_id: str, event_id: str, result: Classification) -> bool:
        """Stores the report's classification; False when this event's was already stored.

        Keyed by report: classifying the same report again replaces, never duplicates."""
        before = await self.classifications.find_one_and_replace(
            {"_id": report_id},
            {**result.model_dump(mode="json"), "event_id": event_id, "classified_at": utcnow()},
            projection={"event_id": 1},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        return before is None or before.get("event_id") != event_id


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
