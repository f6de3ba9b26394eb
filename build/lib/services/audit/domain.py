"""Audit's domain: the hash chain. No I/O here.

Entry n stores the hash of entry n-1 and its own hash over that previous hash and the
canonical text of what it records. Changing, removing or reordering any stored entry breaks
every hash from there on, and verification names the first position that no longer holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.common.events import Envelope, canonical_json

GENESIS_HASH = "0" * 64


def entry_hash(previous_hash: str, record: dict[str, Any]) -> str:
    return hashlib.sha256(f"{previous_hash}\n{canonical_json(record)}".encode()).hexdigest()


def record_of(event: Envelope, topic: str) -> dict[str, Any]:
    return {"topic": topic, "event": event.model_dump(mode="json")}


def chain_entry(
    position: int, previous_hash: str, record: dict[str, Any], recorded_at: datetime
) -> dict[str, Any]:
    return {
        "_id": position,
        "event_id": record["event"]["id"],
        "record": record,
        "previous_hash": previous_hash,
        "hash": entry_hash(previous_hash, record),
        # Not covered by the hash: it is when this copy was written, not what happened.
        "recorded_at": recorded_at,
    }


class ChainReport(BaseModel):
    intact: bool
    entries: int
    head_hash: str
    first_broken_position: int | None = None
    problem: str | None = None


@dataclass
class ChainVerifier:
    """Checks entries in position order, one at a time, so a long log streams through."""

    expected_position: int = 1
    previous_hash: str = GENESIS_HASH
    entries: int = 0
    broken_at: int | None = None
    problem: str | None = None

    def feed(self, entry: dict[str, Any]) -> bool:
        """False once the chain is broken; later entries are then not looked at."""
        if self.broken_at is not None:
            return False
        self.entries += 1
        position = entry.get("_id")
        if position != self.expected_position:
            return self._break("an entry is missing or out of place")
        if entry.get("previous_hash") != self.previous_hash:
            return self._break("the link to the previous entry does not match")
        if entry.get("hash") != entry_hash(self.previous_hash, entry.get("record", {})):
            return self._break("the entry's content does not match its hash")
        self.previous_hash = entry["hash"]
        self.expected_position += 1
        return True

    def _break(self, problem: str) -> bool:
        self.broken_at, self.problem = self.expected_position, problem
        return False

    def report(self) -> ChainReport:
        return ChainReport(
            intact=self.broken_at is None,
            entries=self.entries,
            head_hash=self.previous_hash,
            first_broken_position=self.broken_at,
            problem=self.problem,
        )
