"""The classifier's pipeline: a report's content in, its classification and sealed details out
(`Sifter`), and the sealed details opened again for staff (`open_details`). The consumer and
the staff API both use it; it does no I/O of its own beyond the fingerprint index it is given.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from services.classifier import domain, fingerprint
from services.classifier.entities import Entity
from services.classifier.model import Model
from services.classifier.taxonomy import Taxonomy
from services.common.crypto import Keyring
from services.common.events import Classification

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
                tuple(analysis.evidence_keys(self.linking_secret)),
            )
            for (report_id, _), analysis in zip(reports, analyses, strict=True)
        ]
        # Added before the lookup: two replicas sifting linked reports at once see each other.
        await index.add(prints)
        lookups = [
            domain.with_evidence(lookup, found)
            for lookup, found in zip(
                await index.candidates(prints),
                await index.evidence_candidates(prints),
                strict=True,
            )
        ]
        links = [
            domain.links(analysis, lookup.candidates, fp.keys, fp.evidence)
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
            # How many entities of each kind, never a value: the console shows them masked
            # until a person opens the report with a purpose.
            "entity_kinds": entity_kinds(analysis.entities),
            "history": [],
            "data_key": wrapped,
            "sealed_details": data_key.seal_json("details", private),
        }
        return result, details


def entity_kinds(entities: list[Entity]) -> dict[str, int]:
    return dict(sorted(Counter(e.kind for e in entities).items()))


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
