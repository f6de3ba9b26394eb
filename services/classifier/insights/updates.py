"""Keeping the read model current: one use case applies a batch of stage events.

Exactly once on an at-least-once bus, in four writes per batch:
1. the batch's intended changes go into the journal (one document: the new report states and
   the cells' increments);
2. each cell takes its increment and records the batch id in the same atomic write, so a cell
   changed already is not changed again;
3. the report states are stored with the event ids applied (a redelivered event is then
   recognised and changes nothing);
4. the journal entry is removed (a cell keeps the ids of its last 50 batches, adapters.py).
A batch cut short anywhere is finished from its journal entry before the next batch runs: steps
2 to 4 are safe to repeat. Entries of another replica are finished only once they are older than
STALE_AFTER, so a batch still running elsewhere is not doubled.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.classifier.insights import domain
from services.classifier.insights.adapters import InsightStore
from services.classifier.insights.domain import ReportState
from services.common.events import STAGE_CHANGED_V1, Envelope, Stage, StageChanged
from services.common.kafka import Outcome

STALE_AFTER = timedelta(seconds=60)


@dataclass
class _Report:
    before: ReportState
    after: ReportState
    applied: list[str]
    new_events: list[str] = field(default_factory=list)
    reclassified: bool = False
    new: bool = False  # no state was stored for it before this batch


def _stage_events(events: Sequence[Envelope]) -> list[tuple[int, Envelope, StageChanged]]:
    chosen = []
    for i, event in enumerate(events):
        if event.type != STAGE_CHANGED_V1:
            continue
        stage = StageChanged.model_validate(event.data)
        if stage.stage is Stage.CLASSIFIED and stage.classification is not None:
            chosen.append((i, event, stage))
        elif stage.stage is Stage.CONCLUDED and stage.conclusion is not None:
            chosen.append((i, event, stage))
    return chosen


def step(state: ReportState, stage: StageChanged) -> ReportState:
    if stage.stage is Stage.CLASSIFIED and stage.classification is not None:
        return domain.classified(state, stage.report_id, stage.classification, stage.at)
    if stage.stage is Stage.CONCLUDED and stage.conclusion is not None:
        return domain.concluded(state, stage.conclusion, stage.at)
    return state


async def apply_events(
    store: InsightStore, events: Sequence[Envelope], now: datetime
) -> list[Outcome]:
    """Applies classified and concluded events; every other event is IGNORED."""
    await finish_unfinished(store, now - STALE_AFTER)
    outcomes = [Outcome.IGNORED] * len(events)
    chosen = _stage_events(events)
    if not chosen:
        return outcomes
    known = await store.states(sorted({s.report_id for _, _, s in chosen}))
    reports: dict[str, _Report] = {}
    for i, event, stage in chosen:
        before, applied = known.get(stage.report_id, (ReportState(), []))
        report = reports.setdefault(
            stage.report_id,
            _Report(before, before, list(applied), new=stage.report_id not in known),
        )
        if event.id in report.applied:
            outcomes[i] = Outcome.REPEAT
            continue
        report.after = step(report.after, stage)
        report.applied.append(event.id)
        report.new_events.append(event.id)
        report.reclassified |= stage.stage is Stage.CLASSIFIED
        outcomes[i] = Outcome.APPLIED
    changed = {rid: r for rid, r in reports.items() if r.new_events}
    if changed:
        await _write(store, changed, now)
    return outcomes


async def _write(store: InsightStore, changed: dict[str, _Report], now: datetime) -> None:
    batch = str(uuid.uuid4())
    increments = domain.add_up(domain.difference(r.before, r.after) for r in changed.values())
    states: list[dict[str, Any]] = [
        {"report_id": rid, "state": r.after.to_document(), "applied": r.applied, "new": r.new}
        for rid, r in changed.items()
    ]
    placed = [rid for rid, r in changed.items() if r.reclassified]
    await store.begin(
        batch,
        now,
        {
            "cells": [
                [cell, name, value] for cell, f in increments.items() for name, value in f.items()
            ],
            "states": states,
            "entities": placed,
        },
    )
    await _complete(store, batch, increments, states, placed)


async def _complete(
    store: InsightStore,
    batch: str,
    increments: dict[str, dict[str, int]],
    states: list[dict[str, Any]],
    placed: list[str],
) -> None:
    await store.add_to_cells(batch, increments)
    await store.save_states(states)
    if placed:
        keys = await store.entity_keys(placed)
        copies = await store.copies(placed)
        by_id = {str(s["report_id"]): ReportState.from_document(s["state"]) for s in states}
        await store.place_entities(
            [
                (
                    rid,
                    by_id[rid].industry,
                    by_id[rid].cluster_id or rid,
                    by_id[rid].province,
                    keys[rid],
                    rid in copies,
                )
                for rid in placed
                if keys.get(rid)
            ]
        )
    await store.finish(batch)


async def finish_unfinished(store: InsightStore, older_than: datetime) -> int:
    """Completes batches whose writer stopped part way; their steps are safe to repeat."""
    entries = await store.unfinished(older_than)
    for entry in entries:
        increments: dict[str, dict[str, int]] = {}
        for cell, name, value in entry["cells"]:
            increments.setdefault(cell, {})[name] = value
        await _complete(store, entry["_id"], increments, entry["states"], entry["entities"])
    return len(entries)
