"""Intake's stream entry point: keeps each report's access scope in step with its case.

Which investigators may read a report depends on its region (from classification) and the
team it is assigned to (from the case workflow). Both arrive as stage events; intake keeps
them beside the sealed report so that every staff read is checked where the keys are. It also
marks that the report's case opened and that it was classified, for the reconciliation
(`reconcile.py`).
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
from services.intake.reports.domain import scope_change
from services.intake.reports.reconcile import HEARD, TRACKER

TOPICS = (topics.REPORT_STAGE,)


async def make_handler(db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer) -> Handlers:
    return Handlers(one=partial(handle, ReportStore(db)))


async def handle(store: ReportStore, event: Envelope, topic: str) -> Outcome:
    if event.type != STAGE_CHANGED_V1:
        return Outcome.IGNORED
    heard = HEARD.get(str(event.data.get("stage"))) if event.source == TRACKER else None
    if heard is not None:
        await store.mark_heard(event.subject, heard, event.time)
    change = scope_change(event.data)
    if not change:
        return Outcome.APPLIED if heard else Outcome.IGNORED
    # Setting a value is idempotent, and one report's events arrive in order: a repeat
    # writes what is already there and a later event wins, as it should.
    await store.set_scope(event.subject, change)
    return Outcome.APPLIED
