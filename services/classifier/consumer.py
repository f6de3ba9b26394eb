"""Classifier's event handler: read the report, sift it, store the result, emit `classified`."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from services.classifier import domain
from services.classifier.adapters import (
    ClassificationStore,
    FingerprintIndex,
    IntakeContentClient,
    Save,
)
from services.classifier.pipeline import Sifter
from services.common import topics
from services.common.events import SUBMITTED_V1, Classification, Envelope, ReportSubmitted, utcnow
from services.common.kafka import Handlers, Outcome, publish
from services.common.runtime import HandlerFactory

log = logging.getLogger(__name__)


class SameReportTwice(Exception):
    """Two different events for one report arrived together: they must run in order."""


def make_handler_factory(intake: IntakeContentClient, sifter: Sifter) -> HandlerFactory:
    async def make_handler(
        db: AsyncDatabase[dict[str, Any]], producer: AIOKafkaProducer
    ) -> Handlers:
        store = ClassificationStore(db)
        index = FingerprintIndex(db)
        await store.create_indexes()
        await index.create_indexes()

        async def handle(event: Envelope, topic: str) -> Outcome:
            return (await handle_many([(event, topic)]))[0]

        async def handle_many(events: list[tuple[Envelope, str]]) -> list[Outcome]:
            """A batch of events: one lookup of earlier results, one read of intake's content,
            one sifting pass, one save. A failure fails the batch, and the event processor
            then applies its events one by one, so a bad report is dead-lettered alone."""
            outcomes = [Outcome.IGNORED] * len(events)
            submitted: dict[str, tuple[int, Envelope, ReportSubmitted]] = {}
            for i, (event, _) in enumerate(events):
                if event.type == SUBMITTED_V1:
                    submitted.setdefault(
                        event.id, (i, event, ReportSubmitted.model_validate(event.data))
                    )
            reports = [s.report_id for _, _, s in submitted.values()]
            if len(set(reports)) < len(reports):
                raise SameReportTwice("two events for one report in a batch: one by one")
            earlier = await store.for_events(list(submitted))
            fresh = [entry for event_id, entry in submitted.items() if event_id not in earlier]
            read = await intake.contents([s.report_id for _, _, s in fresh]) if fresh else {}
            # A report intake does not know, or whose content does not open, stops only itself:
            # the others are sifted and saved, then its error fails the batch and the event
            # processor applies the events one by one: the saved ones are repeats, and this
            # one is retried and dead-lettered alone, as before.
            opened: list[tuple[tuple[int, Envelope, ReportSubmitted], dict[str, Any]]] = []
            broken: list[Exception] = []
            for entry in fresh:
                content = read[entry[2].report_id]
                if isinstance(content, Exception):
                    broken.append(content)
                else:
                    opened.append((entry, content))
            fresh = [entry for entry, _ in opened]
            sifted = await sifter.sift_many(
                [(s.report_id, content) for (_, _, s), content in opened], index
            )
            at = utcnow()
            saved = await store.save(
                [
                    Save(s.report_id, event.id, result, at, details)
                    for (_, event, s), (result, details) in zip(fresh, sifted, strict=True)
                ]
            )
            if broken:
                raise broken[0]
            answers: dict[str, tuple[Outcome, Classification, datetime]] = {
                event_id: (Outcome.REPEAT, result, stored_at)
                for event_id, (result, stored_at) in earlier.items()
            }
            for (_, event, s), (result, _), stored in zip(fresh, sifted, saved, strict=True):
                if isinstance(stored, Exception):
                    raise stored
                answers[event.id] = (Outcome.APPLIED if stored else Outcome.REPEAT, result, at)
                if stored:
                    log.info("report classified", extra={"report_id": s.report_id})
            # Published on a repeat too: the first run may have stopped between save and publish.
            await asyncio.gather(
                *(
                    publish(
                        producer,
                        topics.REPORT_STAGE,
                        domain.classified_event(event_id, s.report_id, result, stored_at),
                    )
                    for event_id, (_, _, s) in submitted.items()
                    for _, result, stored_at in [answers[event_id]]
                )
            )
            for event_id, (i, _, _) in submitted.items():
                outcomes[i] = answers[event_id][0]
            for i, (event, _) in enumerate(events):  # the same event twice in one batch
                if event.type == SUBMITTED_V1 and submitted[event.id][0] != i:
                    outcomes[i] = Outcome.REPEAT
            return outcomes

        return Handlers(one=handle, many=handle_many)

    return make_handler
