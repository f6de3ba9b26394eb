"""Classifier's event handler: read the report, sift it, store the result, emit `classified`."""

from __future__ import annotations

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
)
from services.classifier.model import Model
from services.classifier.taxonomy import Taxonomy
from services.common import topics
from services.common.crypto import Keyring
from services.common.events import SUBMITTED_V1, Classification, Envelope, ReportSubmitted, utcnow
from services.common.kafka import Handlers, Outcome, publish
from services.common.runtime import HandlerFactory

log = logging.getLogger(__name__)


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
        analysis = domain.analyse(
            content, self.model, self.taxonomy, fingerprint_key=self.linking_secret
        )
        bands = fingerprint.bands(analysis.signature)
        keys = [domain.hidden_key(key, self.linking_secret) for key in analysis.linking_keys]
        # Added before the lookup: two replicas sifting linked reports at once see each other.
        await index.add(report_id, bands, keys, analysis.signature)
        candidates = await index.candidates(report_id, bands, keys)
        links = domain.links(analysis, candidates, keys)
        linked = {c.report_id for c in links}
        cluster_id, size = await index.join(
            report_id, {c.cluster_id for c in candidates if c.report_id in linked}
        )
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
            if event.type != SUBMITTED_V1:
                return Outcome.IGNORED
            submitted = ReportSubmitted.model_validate(event.data)
            earlier = await store.for_event(event.id)
            at: datetime
            if earlier is not None:
                outcome, (result, at) = Outcome.REPEAT, earlier
            else:
                content = await intake.content(submitted.report_id)
                result, details = await sifter.sift(submitted.report_id, content, index)
                at = utcnow()
                stored = await store.save(submitted.report_id, event.id, result, at, details)
                outcome = Outcome.APPLIED if stored else Outcome.REPEAT
                if stored:
                    log.info("report classified", extra={"report_id": submitted.report_id})
            # Published on a repeat too: the first run may have stopped between save and publish.
            await publish(
                producer,
                topics.REPORT_STAGE,
                domain.classified_event(event.id, submitted.report_id, result, at),
            )
            return outcome

        return Handlers(one=handle)

    return make_handler
