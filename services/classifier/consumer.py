"""Classifier's event handler: read the report, sift it, store the result, emit `classified`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from services.classifier import domain, fingerprint
from services.classifier.adapters import (
    ClassificationStore,
    FingerprintIndex,
    IntakeContentClient,
    Save,
)
from services.classifier.model import Model
from services.classifier.taxonomy import Taxonomy
from services.common import topics
from services.common.crypto import Keyring
from services.common.events import SUBMITTED_V1, Classification, Envelope, ReportSubmitted, utcnow
from services.common.kafka import Handlers, Outcome, publish
from services.common.runtime import HandlerFactory

log = logging.getLogger(__name__)


class SameReportTwice(Exception):
    """Two different events for one report arrived together: they must run in order."""


# What only staff may read, and only with a stated, audited purpose: phrases quoted from the
# report and the entity values found in it. Sealed under the report's own data key.
SEALED_DETAILS = ("official_evidence", "entities", "signals", "priority_reasons")


@dataclass
class Sifter:
    """Everything a classification needs, loaded once at start-up."""

    model: Model
    taxonomy: Taxonomy
    keyring: Keyring
    linking_secret: bytes

    async def sift(
        self, report_id: str, content: dict[str, Any], index: domain.Index
    ) -> tuple[Classification, dict[str, Any]]:
        """(what the event carries, what only the classifier's store keeps)."""
        return (await self.sift_many([(report_id, content)], index))[0]

    async def sift_many(
        self, reports: list[tuple[str, dict[str, Any]]], index: domain.Index
    ) -> list[tuple[Classification, dict[str, Any]]]:
        """Reports sifted together: the model runs once for all of them, and each step in the
        index is one request for the batch."""
        if not reports:
            return []
        texts = [domain.report_text(content) for _, content in reports]
        analyses = [
            domain.analyse(
                content, self.model, self.taxonomy, prediction, fingerprint_key=self.linking_secret
            )
            for (_, content), prediction in zip(
                reports, self.model.predict_many(texts), strict=True
            )
        ]
        prints = [
            domain.Fingerprint(
                report_id,
                fingerprint.bands(analysis.signature),
                [domain.hidden_key(key, self.linking_secret) for key in analysis.linking_keys],
                analysis.signature,
            )
            for (report_id, _), analysis in zip(reports, analyses, strict=True)
        ]
        # Added before the lookup: two replicas sifting linked reports at once see each other.
        await index.add(prints)
        lookups = await index.candidates(prints)
        links = [
            domain.links(analysis, lookup.candidates, fp.keys)
            for analysis, lookup, fp in zip(analyses, lookups, prints, strict=True)
        ]
        clusters = await index.join(
            [
                domain.join_of(fp.report_id, lookup, found)
                for fp, lookup, found in zip(prints, lookups, links, strict=True)
            ]
        )
        return [
            self._result(report_id, analysis, found, cluster_id, size)
            for (report_id, _), analysis, found, (cluster_id, size) in zip(
                reports, analyses, links, clusters, strict=True
            )
        ]

    def _result(
        self,
        report_id: str,
        analysis: domain.Analysis,
        links: list[domain.Link],
        cluster_id: str,
        size: int,
    ) -> tuple[Classification, dict[str, Any]]:
        level, reasons = domain.priority(analysis, size)
        result = domain.classification(
            analysis, cluster_id, level, self.model.version, self.taxonomy.version
        )
        data_key, wrapped = self.keyring.new_data_key(report_id)
        private = {
            "official_evidence": analysis.official_evidence,
            "entities": [{"kind": e.kind, "value": e.value} for e in analysis.entities],
            "signals": analysis.signals,
            "priority_reasons": reasons,
        }
        details = {
            "city_name": analysis.city,
            "province_name": analysis.province,
            "links": [link.as_document() for link in links],
            "review_reasons": analysis.review_reasons,
            "history": [],
            "data_key": wrapped,
            "sealed_details": data_key.seal_json("details", private),
        }
        return result, details


def open_details(found: dict[str, Any], keyring: Keyring, linking_secret: bytes) -> dict[str, Any]:
    """The sealed details of a stored classification, with each link's shared entities named
    by value (the index knows them only by keyed hash)."""
    key = keyring.open_data_key(found["data_key"], found["_id"])
    private: dict[str, Any] = key.open_json("details", found["sealed_details"])
    named = {
        domain.hidden_key(f"{e['kind']}:{e['value']}", linking_secret): f"{e['kind']}:{e['value']}"
        for e in private["entities"]
    }
    links = [
        {
            **link,
            "shared_entities": [named.get(k, k.split(":")[0]) for k in link["shared_entities"]],
        }
        for link in found.get("links", [])
    ]
    return {**private, "links": links}


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
            """A batch of events: one lookup of earlier results, intake's reads side by side,
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
            contents = await asyncio.gather(*(intake.content(s.report_id) for _, _, s in fresh))
            sifted = await sifter.sift_many(
                [
                    (s.report_id, content)
                    for (_, _, s), content in zip(fresh, contents, strict=True)
                ],
                index,
            )
            at = utcnow()
            saved = await store.save(
                [
                    Save(s.report_id, event.id, result, at, details)
                    for (_, event, s), (result, details) in zip(fresh, sifted, strict=True)
                ]
            )
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
