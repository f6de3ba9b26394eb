"""Intake's stream entry point: keeps each report's access scope in step with its case.

Which investigators may read a report depends on its region (from classification) and the
team it is assigned to (from the case workflow). Both arrive as stage events; intake keeps
them beside the sealed report so that every staff read is checked where the keys are. It also
marks that the report's case opened and that it was classified, for the reconciliation
(`reconcile.py`).

A poll's stage events go to the database in one ordered write (`ReportStore.apply`), so one
report's events keep their order and a later one wins.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from services.common import topics
from services.common.events import STAGE_CHANGED_V1, Envelope
from services.common.kafka import Handlers, Outcome
from services.intake.reports.adapters import ReportStore
from services.intake.reports.domain import ReportUpdate, merged_updates, stage_updates
from services.intake.reports.reconcile import HEARD, TRACKER

TOPICS = (topics.REPORT_STAGE,)


async def make_handler(db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer) -> Handlers:
    store = ReportStore(db)
    return Handlers(one=partial(handle, store), many=partial(handle_many, store))


def updates_of(event: Envelope) -> list[ReportUpdate]:
    if event.type != STAGE_CHANGED_V1:
        return []
    heard = HEARD.get(str(event.data.get("stage"))) if event.source == TRACKER else None
    return stage_updates(event.subject, event.data, heard, event.time)


async def handle(store: ReportStore, event: Envelope, topic: str) -> Outcome:
    return (await handle_many(store, [(event, topic)]))[0]


async def handle_many(store: ReportStore, events: list[tuple[Envelope, str]]) -> list[Outcome]:
    """The events' updates in the order the events came, in one write, merged where a report
    has several (`merged_updates`)."""
    found = [updates_of(event) for event, _ in events]
    await store.apply(merged_updates([update for updates in found for update in updates]))
    return [Outcome.APPLIED if updates else Outcome.IGNORED for updates in found]
