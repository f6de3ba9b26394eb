"""Classifier's domain: from what was reported to categories, entities, links and priority.

No I/O here: the model and the taxonomy are loaded once by the entry point and passed in, and
the index of earlier reports is whatever implements `Index` (MongoDB in production, memory in
evaluation and tests).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from services.classifier import evidence, fingerprint, rules
from services.classifier.entities import LINKING_KINDS, Entity, extract, plate_provinces
from services.classifier.model import Model, Predictions, sentences
from services.classifier.taxonomy import Taxonomy, region_id
from services.common.events import (
    STAGE_CHANGED_V1,
    Classification,
    Confidences,
    Envelope,
    Priority,
    Stage,
    StageChanged,
    derived_event_id,
    new_event,
)

SOURCE = "tipline/classifier"
OTHER = "other"

CRIME_TYPE_THRESHOLD = 0.4  # a crime type is assigned at this probability...
CONFIRMED_THRESHOLD = 0.15  # ...or at this one when a rule keyword confirms it
FALLBACK_THRESHOLD = 0.2  # the most likely type, when none reaches the others
REVIEW_THRESHOLD = 0.5  # a crime type or region less sure than this goes to a person
INDUSTRY_REVIEW_THRESHOLD = 0.4
INDUSTRY_KEYWORD_WEIGHT = 0.5  # the trade words' sentence shares, beside the model's probabilities
INDUSTRY_CRIME_WEIGHT = 0.5  # the crime's own trade (loan sharking: finance_lending)
INDUSTRY_INTRODUCTION_WEIGHT = 0.25  # a sentence of the writer's own job counts this much...
INDUSTRY_CRIME_SENTENCE_WEIGHT = 2.0  # ...and one that tells the crime this much
# Official involvement the rules do not see: a sentence naming an official that the model, reading
# it alone, takes for collusion at least this surely.
OFFICIAL_SENTENCE_THRESHOLD = 0.5
DUPLICATE_SIMILARITY = 0.75  # estimated Jaccard of shingles: "the same report"
CLUSTER_SIZE_HIGH = 5  # a gang reported this often is high priority on its own
PRIORITIES = ("critical", "high", "normal", "low")


@dataclass
class Analysis:
    """Everything read from one report's content, before it is linked to others."""

    crime_types: list[str]
    crime_type_confidences: dict[str, float]
    industry: str | None
    industry_confidence: float
    province: str | None
    city: str | None
    province_confidence: float
    official_involvement: bool
    official_confidence: float
    official_evidence: list[str]
    entities: list[Entity]
    signals: dict[str, list[str]]  # priority signal -> the phrases that raised it
    signature: np.ndarray
    review_reasons: list[str] = field(default_factory=list)

    @property
    def linking_keys(self) -> list[str]:
        return sorted(e.key for e in self.entities if e.kind in LINKING_KINDS)

    def evidence_keys(self, secret: bytes) -> list[str]:
        """Language-free evidence (see `evidence`): place, crime, names, numbers, as hashes."""
        return evidence.keys(self.entities, self.crime_types, self.province, self.city, secret)


@dataclass(frozen=True)
class Link:
    """Why one report is tied to an earlier one."""

    report_id: str
    relation: str  # "duplicate" (the same report again) or "related" (same gang or incident)
    similarity: float
    shared_entities: tuple[str, ...]
    # The evidence rules that matched ("place+crime+person", "money+date"), kinds only.
    evidence: tuple[str, ...] = ()

    def as_document(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "relation": self.relation,
            "similarity": round(self.similarity, 3),
            "shared_entities": list(self.shared_entities),
            "evidence": list(self.evidence),
        }


def hidden_key(key: str, secret: bytes) -> str:
    """A linking key as the shared index stores it: the kind, and a keyed hash of the value.

    Equal values still meet in the index; a database thief without the secret learns only
    that two reports share, say, a phone, never the phone."""
    kind = key.split(":", 1)[0]
    digest = hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{kind}:{digest}"


@dataclass(frozen=True)
class Candidate:
    """An earlier report the index returned: shares a band or a linking entity."""

    report_id: str
    cluster_id: str
    signature: np.ndarray
    entity_keys: tuple[str, ...]
    cluster_rank: str = ""  # when its cluster was founded (see `plan_merges`)
    evidence_keys: tuple[str, ...] = ()  # its evidence keys, when the evidence lookup found it


@dataclass(frozen=True)
class Fingerprint:
    """One report as the index stores it: MinHash bands, hidden linking keys, the signature."""

    report_id: str
    bands: list[int]
    keys: list[str]
    signature: np.ndarray
    evidence: tuple[str, ...] = ()  # hidden evidence keys (`evidence.keys`)


@dataclass(frozen=True)
class Lookup:
    """What the index holds near one report, and the report's own cluster as the lookup saw
    it (None when the lookup did not return the report itself)."""

    candidates: list[Candidate]
    own_cluster: str | None
    own_rank: str = ""


@dataclass(frozen=True)
class Join:
    """One report, its cluster before joining, and the clusters of the reports it links to."""

    report_id: str
    own_cluster: str
    linked_clusters: frozenset[str]
    # The reports it links to, and the rank of each cluster named here, when the index ranks
    # clusters: a database index re-reads these after merging, so replicas converge.
    linked_reports: frozenset[str] = frozenset()
    ranks: Mapping[str, str] = field(default_factory=dict)


class Index(Protocol):
    """Where fingerprints live. Every call takes the reports sifted together, so a batch
    costs the database a few requests rather than a few per report."""

    async def add(self, fingerprints: list[Fingerprint]) -> None: ...

    async def candidates(self, fingerprints: list[Fingerprint]) -> list[Lookup]: ...

    async def evidence_candidates(self, fingerprints: list[Fingerprint]) -> list[list[Candidate]]:
        """Earlier reports sharing an evidence key with each, their evidence keys with them."""
        ...

    async def join(self, joins: list[Join]) -> list[tuple[str, int]]:
        """Each report's cluster and that cluster's size, after merging what they link."""
        ...


def join_of(report_id: str, lookup: Lookup, links: list[Link]) -> Join:
    """The report's cluster as its lookup saw it (its own id when new) and the clusters of the
    candidates it links to."""
    linked = {link.report_id for link in links}
    chosen = [c for c in lookup.candidates if c.report_id in linked]
    own = lookup.own_cluster or report_id
    return Join(
        report_id,
        own,
        frozenset(c.cluster_id for c in chosen),
        frozenset(linked),
        {own: lookup.own_rank, **{c.cluster_id: c.cluster_rank for c in chosen}},
    )


@dataclass(frozen=True)
class MergePlan:
    cluster_of: dict[str, str]  # report id -> its cluster after the merge
    renames: list[tuple[str, list[str]]]  # (surviving cluster, clusters merged into it)


def plan_merges(joins: list[Join], ranks: Mapping[str, str] | None = None) -> MergePlan:
    """Merges for reports sifted together: every cluster a report links to, and its own, become
    one. Reports of one batch may link to each other, so the clusters are grouped first
    (union-find) and each group is merged once.

    The surviving cluster is the smallest id among clusters that existed before this batch,
    so an earlier cluster keeps its id and a new report never renames it; a group of new
    reports only takes the smallest of their ids.

    With `ranks` (cluster id -> when it was founded, as the shared index records it), the
    survivor is the earliest-founded cluster, ties to the smallest id: every replica then picks
    the same survivor for the same clusters, whichever of them it sifted, so concurrent merges
    converge instead of each replica keeping its own report's cluster."""
    parent: dict[str, str] = {}

    def root(cluster: str) -> str:
        parent.setdefault(cluster, cluster)
        while parent[cluster] != cluster:
            parent[cluster] = parent[parent[cluster]]
            cluster = parent[cluster]
        return cluster

    for join in joins:
        for linked in join.linked_clusters:
            parent[root(linked)] = root(join.own_cluster)
        root(join.own_cluster)
    fresh = {j.report_id for j in joins if j.own_cluster == j.report_id}
    groups: dict[str, list[str]] = {}
    for cluster in parent:
        groups.setdefault(root(cluster), []).append(cluster)
    survivor: dict[str, str] = {}
    renames = []
    for members in groups.values():
        if ranks is not None:
            chosen = min(members, key=lambda c: (ranks.get(c, ""), c))
        else:
            earlier = [c for c in members if c not in fresh]
            chosen = min(earlier or members)
        for cluster in members:
            survivor[cluster] = chosen
        if len(members) > 1:
            renames.append((chosen, sorted(c for c in members if c != chosen)))
    return MergePlan({j.report_id: survivor[j.own_cluster] for j in joins}, renames)


def report_text(content: dict[str, Any]) -> str:
    location = content.get("location") or {}
    return " ".join(
        part
        for part in (
            content.get("narrative", ""),
            content.get("industry_hint") or "",
            *content.get("organisations_involved", []),
            *content.get("people_involved", []),
            location.get("details") or "",
        )
        if part
    )


_CLAUSE = re.compile(r"[，,；;：:]")


def choose_industry(
    text: str, predictions: Predictions, crime_types: list[str]
) -> tuple[str, float, list[str]]:
    """(industry, its confidence, reasons for review).

    The model's reading, weighed with the trade the report names (`rules.INDUSTRY_KEYWORDS`:
    the share of the sentences naming each industry's workplace or trade words) and the trade
    of the crime itself (`rules.CRIME_TYPE_INDUSTRY`: the loan is the crime in loan sharking,
    wherever the borrower works). A report naming no trade keeps the model's reading, `other`
    included; an unsure one goes to a person."""
    votes = dict.fromkeys(predictions.industries, 0.0)
    for sentence in sentences(text) or [text]:
        # The writer's own job ("我是开出租车的") sets the scene, not the crime's trade; the
        # sentence telling the crime weighs most.
        crime = any(p.search(sentence) for p in rules.CRIME_TYPE_KEYWORDS.values())
        found: dict[str, float] = {}
        for clause in _CLAUSE.split(sentence):
            if rules.WRITER_INTRODUCED.search(clause.strip()):
                weight = INDUSTRY_INTRODUCTION_WEIGHT
            else:
                weight = INDUSTRY_CRIME_SENTENCE_WEIGHT if crime else 1.0
            for label, pattern in rules.INDUSTRY_KEYWORDS.items():
                if label in votes and pattern.search(clause):
                    found[label] = max(found.get(label, 0.0), weight)
        for label, weight in found.items():
            votes[label] += weight
    named = sum(votes.values())
    trades = {rules.CRIME_TYPE_INDUSTRY[c] for c in crime_types if c in rules.CRIME_TYPE_INDUSTRY}
    scores = {
        label: p
        + (INDUSTRY_KEYWORD_WEIGHT * votes[label] / named if named else 0.0)
        + (INDUSTRY_CRIME_WEIGHT / len(trades) if label in trades else 0.0)
        for label, p in predictions.industries.items()
    }
    total = sum(scores.values())
    industry = max(scores, key=lambda label: scores[label])
    confidence = round(scores[industry] / total, 3)
    reasons = []
    if not named and not trades and confidence < INDUSTRY_REVIEW_THRESHOLD and OTHER in scores:
        # No trade named and the model unsure: `other` for a person to check, not a guess.
        industry, confidence = OTHER, round(scores[OTHER] / total, 3)
    if confidence < INDUSTRY_REVIEW_THRESHOLD:
        reasons.append(f"industry below threshold: {industry} at {confidence:.2f}")
    return industry, confidence, reasons


def choose_crime_types(
    text: str, predictions: Predictions, official: bool
) -> tuple[list[str], dict[str, float], list[str]]:
    """(crime types, their confidences, reasons for review).

    Every type the model gives CRIME_TYPE_THRESHOLD and no less than `other`, or
    CONFIRMED_THRESHOLD when a rule keyword confirms it; failing both, the most likely type if
    it beats `other` and reaches FALLBACK_THRESHOLD (marked for review). Official collusion
    needs evidence (rules)."""
    probabilities = predictions.crime_types
    crimes = {k: p for k, p in probabilities.items() if k not in (OTHER, "official_collusion")}
    other = probabilities.get(OTHER, 0.0)
    chosen = {
        label
        for label, p in crimes.items()
        # A long report of an ordinary dispute has some sentence that reads a little like a
        # crime; when the model finds the report more likely `other`, a rule must confirm it.
        if (p >= CRIME_TYPE_THRESHOLD and p >= other)
        or (
            p >= CONFIRMED_THRESHOLD
            and label in rules.CRIME_TYPE_KEYWORDS
            and rules.CRIME_TYPE_KEYWORDS[label].search(text) is not None
        )
    }
    best = max(crimes, key=lambda label: crimes[label])
    if not chosen and crimes[best] >= FALLBACK_THRESHOLD and crimes[best] > other:
        chosen.add(best)
    by_rule = {}
    if rules.SIGNALS["violence"].search(text):
        by_rule["violent_intimidation"] = max(probabilities.get("violent_intimidation", 0.0), 0.7)
    if official:
        by_rule["official_collusion"] = 1.0
    chosen |= set(by_rule)
    if not chosen:
        chosen = {OTHER}
    confidences = {
        label: round(by_rule.get(label, probabilities.get(label, 0.0)), 3)
        for label in sorted(chosen)
    }
    reasons = []
    unsure = [label for label, p in confidences.items() if p < REVIEW_THRESHOLD]
    if unsure:
        reasons.append("crime type below threshold: " + ", ".join(unsure))
    return sorted(chosen), confidences, reasons


def region(
    content: dict[str, Any], text: str, taxonomy: Taxonomy
) -> tuple[str | None, str | None, float]:
    """(province, city, confidence): the reporter's location fields first, then the places the
    text names (the gazetteer: any division, county -> city -> province; streets, dishes and
    where people come from left out) and its car plates' prefixes."""
    location = content.get("location") or {}
    province = city = None
    if location.get("city") and (place := taxonomy.place_named(location["city"])):
        province, city = place.province, place.name if place.is_city else None
    if location.get("province") and (place := taxonomy.place_named(location["province"])):
        province = place.province
    if province:
        return province, city, 1.0
    where = taxonomy.where(text, plate_provinces(text, taxonomy))
    return where.province, where.city.en if where.city else None, where.confidence


def official_evidence(text: str) -> list[str]:
    """Sentences naming an official role together with protection, bribes, tip-offs, kinship
    or membership, or saying so in words that need no role (保护伞)."""
    return [
        s[:300]
        for s in sentences(text)
        if rules.OFFICIAL_ON_ITS_OWN.search(s)
        or (rules.OFFICIAL_ROLES.search(s) and rules.OFFICIAL_CORRUPTION.search(s))
    ]


def official_evidence_by_model(text: str, model: Model) -> list[str]:
    named = [s for s in sentences(text) if rules.OFFICIAL_ROLES.search(s)]
    if not named:
        return []
    return [
        sentence[:300]
        for sentence, p in zip(named, model.official_probabilities(named), strict=True)
        if p >= OFFICIAL_SENTENCE_THRESHOLD
    ]


LARGE_SUM = 1_000_000  # yuan: a sum this large is high priority on its own
_STRONG_MINORS = re.compile(
    r"未成年|未满十八|童工|\b(?:minors?|underage|under eighteen|under 18|child labour)\b", re.I
)


def signals(
    text: str, crime_types: list[str], entities: list[Entity] | None = None
) -> dict[str, list[str]]:
    """Priority signals, each with the phrases that raised it, read sentence by sentence: a
    threat with a date or deadline (`imminent`), weapons with a threat (`armed_threat`) or
    merely carried (`weapons`), someone held, danger to life, children drawn in (`minors`),
    violence, many victims, a large sum, and a report of old or vague events (`old`)."""
    found: dict[str, set[str]] = {}

    def add(name: str, phrases: list[str]) -> None:
        if phrases:
            found.setdefault(name, set()).update(phrases)

    denied = False
    for sentence in sentences(text):
        # Harm denied ("没有人受伤", "nobody was hurt") raises nothing.
        sentence, negations = rules.NEGATED.subn(" ", sentence)
        denied = denied or negations > 0
        threat = [m.group(0) for m in rules.THREAT.finditer(sentence)]
        when = [m.group(0) for m in rules.IMMINENCE.finditer(sentence)]
        weapons = [m.group(0) for m in rules.SIGNALS["weapons"].finditer(sentence)]
        if threat and when:
            add("imminent", when + threat)
        add("armed_threat" if threat or when else "weapons", weapons)
        for name in (
            "held",
            "life_danger",
            "violence",
            "many_victims",
            "death_threat",
            "threatened",
        ):
            add(name, [m.group(0) for m in rules.SIGNALS[name].finditer(sentence)])
        if now := rules.HAPPENING_NOW.search(sentence):
            violent = rules.SIGNALS["violence"].findall(sentence) or (weapons and threat)
            add("violence_now", [now.group(0)] if violent else [])
        add("minors", _minors(sentence, bool(threat)))
    if "violent_intimidation" in crime_types and "violence" not in found and not denied:
        found["violence"] = {"crime type: violent_intimidation"}
    amounts = [float(e.value) for e in entities or [] if e.kind == "money"]
    if amounts and max(amounts) >= LARGE_SUM:
        found["large_sum"] = {f"{max(amounts):,.0f} yuan"}
    if rules.OLD.search(text) and not rules.ONGOING.search(text):
        found["old"] = {m.group(0) for m in rules.OLD.finditer(text)}
    return {name: sorted(phrases) for name, phrases in found.items()}


def _minors(sentence: str, threatened: bool) -> list[str]:
    """Children drawn in: words for minors that say so themselves ("未成年", "underage"), or a
    child in a sentence about selling, using or threatening; not the reporter's own children
    mentioned in passing ("我儿子是初中生")."""
    named = [m.group(0) for m in rules.SIGNALS["minors"].finditer(sentence)]
    if named and (rules.CHILD_HARM.search(sentence) or threatened):
        return named
    return [m.group(0) for m in _STRONG_MINORS.finditer(sentence)]


def analyse(
    content: dict[str, Any],
    model: Model,
    taxonomy: Taxonomy,
    predictions: Predictions | None = None,
    fingerprint_key: bytes = b"",
) -> Analysis:
    text = report_text(content)
    predictions = predictions or model.predict(text)
    evidence = official_evidence(text)
    model_official = predictions.crime_types.get("official_collusion", 0.0)
    by_model = False
    if not evidence:
        # Collusion told in words the rules do not know: the sentence reader reads each
        # sentence naming an official on its own (in a whole report the other crimes drown
        # it out), and a person confirms what it finds.
        evidence = official_evidence_by_model(text, model)
        by_model = bool(evidence)
    # Only with evidence a person can read: the whole report's score alone is often fooled by
    # an innocent "I called the police", so it only asks for a review (below).
    official = bool(evidence)
    crimes, crime_confidences, review = choose_crime_types(text, predictions, official)
    if by_model:
        review.append("official involvement found by the model, not by the rules")
    industry, industry_confidence, reasons = choose_industry(text, predictions, crimes)
    review += reasons
    province, city, province_confidence = region(content, text, taxonomy)
    entities = extract(text, taxonomy)
    if province is not None and province_confidence < REVIEW_THRESHOLD:
        review.append("region unclear: several provinces named")
        province, city = None, None
    if not evidence and model_official >= 0.5:
        review.append(f"possible official involvement without evidence ({model_official:.2f})")
    return Analysis(
        crime_types=crimes,
        crime_type_confidences=crime_confidences,
        industry=industry,
        industry_confidence=industry_confidence,
        province=province,
        city=city,
        province_confidence=province_confidence,
        official_involvement=official,
        official_confidence=round(1.0 if evidence else model_official, 3),
        official_evidence=evidence,
        entities=entities,
        signals=signals(text, crimes, entities),
        signature=fingerprint.minhash(content.get("narrative", "") or text, fingerprint_key),
        review_reasons=review,
    )


def links(
    analysis: Analysis,
    candidates: list[Candidate],
    keys: list[str] | None = None,
    evidence_keys: Iterable[str] = (),
) -> list[Link]:
    """Which earlier reports this one duplicates or relates to, and why: a similar text
    (`duplicate`), or a shared linking entity or enough language-free evidence (`related`).

    `keys` are the report's linking keys as the index holds them (hidden), when not raw;
    `evidence_keys` its evidence keys, matched against each candidate's."""
    mine = set(analysis.linking_keys if keys is None else keys)
    my_evidence = set(evidence_keys)
    common = evidence.common_weak(my_evidence, (c.evidence_keys for c in candidates))
    found = []
    for candidate in candidates:
        similarity = fingerprint.similarity(analysis.signature, candidate.signature)
        shared = tuple(sorted(mine & set(candidate.entity_keys)))
        proof = evidence.proof(my_evidence, candidate.evidence_keys, common)
        if similarity >= DUPLICATE_SIMILARITY:
            found.append(Link(candidate.report_id, "duplicate", similarity, shared, proof))
        elif shared or proof:
            found.append(Link(candidate.report_id, "related", similarity, shared, proof))
    return found


def with_evidence(lookup: Lookup, found: list[Candidate]) -> Lookup:
    """A lookup's candidates and those the evidence lookup found, each once (with its evidence
    keys when the evidence lookup returned it)."""
    by_id = {c.report_id: c for c in lookup.candidates}
    by_id.update({c.report_id: c for c in found})
    return Lookup(list(by_id.values()), lookup.own_cluster, lookup.own_rank)


CRITICAL_SIGNALS = (
    "imminent",
    "armed_threat",
    "held",
    "life_danger",
    "minors",
    "death_threat",
    "violence_now",
)
HIGH_SIGNALS = ("violence", "weapons", "threatened", "many_victims", "large_sum")


def priority(analysis: Analysis, cluster_size: int) -> tuple[Priority, list[str]]:
    """(priority, reasons), following what the report says about imminence and danger:
    `critical` for a threat with a date, weapons with a threat, someone held, danger to life or
    children drawn in; `low` for no organized crime, or events told as old or vague (years
    ago, a lender since dead) with nothing saying they go on; `high` for official involvement,
    violence, weapons, many victims, a large sum or a cluster of CLUSTER_SIZE_HIGH reports;
    `normal` otherwise."""
    found = analysis.signals
    reasons = [f"{n}: " + ", ".join(found[n][:3]) for n in CRITICAL_SIGNALS if n in found]
    if reasons:
        # Staff reading why it is critical also see that an official is implicated.
        return "critical", reasons + (
            ["official involvement"] if analysis.official_involvement else []
        )
    if analysis.crime_types == [OTHER]:
        return "low", ["no organized-crime type recognised"]
    if "old" in found:
        return "low", ["old or vague: " + ", ".join(found["old"][:3])]
    if analysis.official_involvement:
        reasons.append("official involvement")
    for name in HIGH_SIGNALS:
        # Violence or a threat read from words counts when the report is of intimidation.
        if name in found and (
            name not in ("violence", "threatened") or "violent_intimidation" in analysis.crime_types
        ):
            reasons.append(f"{name}: " + ", ".join(found[name][:3]))
    if cluster_size >= CLUSTER_SIZE_HIGH:
        reasons.append(f"reported {cluster_size} times (cluster size)")
    if reasons:
        return "high", reasons
    return "normal", ["organized-crime type without aggravating signals"]


def classification(
    analysis: Analysis,
    cluster_id: str,
    priority_level: Priority,
    model_version: str,
    taxonomy_version: str,
) -> Classification:
    """What the event carries: categories, region ids, priority, cluster and confidences. No
    text, no entity values, no evidence phrases: those stay in the classifier's store."""
    return Classification(
        crime_types=analysis.crime_types,
        province=region_id(analysis.province) if analysis.province else None,
        city=region_id(analysis.city) if analysis.city else None,
        industry=analysis.industry,
        priority=priority_level,
        official_involvement=analysis.official_involvement,
        cluster_id=cluster_id,
        needs_review=bool(analysis.review_reasons),
        confidences=Confidences(
            crime_types=analysis.crime_type_confidences,
            industry=analysis.industry_confidence,
            province=analysis.province_confidence,
            official_involvement=analysis.official_confidence,
        ),
        rules_version=rules.RULES_VERSION,
        model_version=model_version,
        taxonomy_version=taxonomy_version,
    )


def classified_event(
    cause_event_id: str, report_id: str, result: Classification, at: datetime, purpose: str = ""
) -> Envelope:
    return new_event(
        source=SOURCE,
        type=STAGE_CHANGED_V1,
        subject=report_id,
        data=StageChanged(
            report_id=report_id, stage=Stage.CLASSIFIED, at=at, classification=result
        ),
        event_id=derived_event_id(cause_event_id, purpose or Stage.CLASSIFIED.value),
    )


class MemoryIndex:
    """The index in memory, with the same rules as the MongoDB one: for evaluation and tests."""

    def __init__(self) -> None:
        self.by_band: dict[int, set[str]] = {}
        self.by_key: dict[str, set[str]] = {}
        self.by_evidence: dict[str, set[str]] = {}
        self.evidence: dict[str, tuple[str, ...]] = {}
        self.reports: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
        self.cluster: dict[str, str] = {}

    async def add(self, fingerprints: list[Fingerprint]) -> None:
        for fp in fingerprints:
            for band in fp.bands:
                self.by_band.setdefault(band, set()).add(fp.report_id)
            for key in fp.keys:
                self.by_key.setdefault(key, set()).add(fp.report_id)
            for key in fp.evidence:
                self.by_evidence.setdefault(key, set()).add(fp.report_id)
            self.evidence[fp.report_id] = tuple(fp.evidence)
            self.reports[fp.report_id] = (fp.signature, tuple(fp.keys))
            self.cluster.setdefault(fp.report_id, fp.report_id)

    async def candidates(self, fingerprints: list[Fingerprint]) -> list[Lookup]:
        lookups = []
        for fp in fingerprints:
            found: set[str] = set()
            for band in fp.bands:
                found |= self.by_band.get(band, set())
            for key in fp.keys:
                found |= self.by_key.get(key, set())
            found.discard(fp.report_id)
            candidates = [
                Candidate(rid, self.cluster[rid], self.reports[rid][0], self.reports[rid][1])
                for rid in sorted(found)
            ]
            lookups.append(Lookup(candidates, self.cluster.get(fp.report_id)))
        return lookups

    async def evidence_candidates(self, fingerprints: list[Fingerprint]) -> list[list[Candidate]]:
        answers = []
        for fp in fingerprints:
            found: set[str] = set()
            for key in evidence.lookup_keys(fp.evidence):
                found |= self.by_evidence.get(key, set())
            found.discard(fp.report_id)
            answers.append(
                [
                    Candidate(
                        rid,
                        self.cluster[rid],
                        self.reports[rid][0],
                        self.reports[rid][1],
                        evidence_keys=self.evidence[rid],
                    )
                    for rid in sorted(found)
                ]
            )
        return answers

    async def join(self, joins: list[Join]) -> list[tuple[str, int]]:
        plan = plan_merges(joins)
        for chosen, merged in plan.renames:
            for rid, cid in self.cluster.items():
                if cid in merged:
                    self.cluster[rid] = chosen
        sizes: dict[str, int] = {}
        for cid in self.cluster.values():
            sizes[cid] = sizes.get(cid, 0) + 1
        return [(plan.cluster_of[j.report_id], sizes[plan.cluster_of[j.report_id]]) for j in joins]
