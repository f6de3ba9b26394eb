"""`make eval` (`python -m services.classifier.training.evaluate [file.jsonl]`): scores a
labelled file (data/eval.jsonl by default) with the built model.

Every report goes through the same code as in the service (analyse, link through an index
with the same rules as the MongoDB one, prioritise), in file order, and the figures are printed
one a line. A predicted duplicate/related pair is every pair of reports the classifier put in
one cluster; it is correct when both reports carry the same `group`.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from services.classifier import domain, fingerprint
from services.classifier import model as model_module
from services.classifier import taxonomy as taxonomy_module
from services.classifier.training.corpus import EVAL_FILE, read_jsonl


def macro_f1(truth: list[set[str]], predicted: list[set[str]], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if label in t and label in p)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if label not in t and label in p)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if label in t and label not in p)
        if tp + fp + fn == 0:
            continue  # a label neither present nor predicted says nothing
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def pair_scores(groups: list[str | None], clusters: list[str]) -> tuple[float, float]:
    """(precision, recall) of the pairs put in one cluster against the pairs sharing a group."""
    indices = range(len(groups))
    truth = {(a, b) for a, b in combinations(indices, 2) if groups[a] and groups[a] == groups[b]}
    members: dict[str, list[int]] = {}
    for i, cluster in enumerate(clusters):
        members.setdefault(cluster, []).append(i)
    predicted = {pair for ids in members.values() for pair in combinations(sorted(ids), 2)}
    correct = len(truth & predicted)
    precision = correct / len(predicted) if predicted else 1.0
    recall = correct / len(truth) if truth else 1.0
    return precision, recall


@dataclass
class Sifted:
    """What the classifier made of each report of a file, in file order."""

    analyses: list[domain.Analysis]
    clusters: list[str]
    priorities: list[domain.Priority]


async def sift(rows: list[dict[str, Any]], model: model_module.Model | None = None) -> Sifted:
    model = model or model_module.load()
    taxonomy = taxonomy_module.load()
    index = domain.MemoryIndex()
    predictions = model.predict_many([row["text"] for row in rows])
    analyses = []
    for row, prediction in zip(rows, predictions, strict=True):
        analysis = domain.analyse({"narrative": row["text"]}, model, taxonomy, prediction)
        fp = domain.Fingerprint(
            row["id"],
            fingerprint.bands(analysis.signature),
            analysis.linking_keys,
            analysis.signature,
            tuple(analysis.evidence_keys(b"")),
        )
        # One report at a time, in file order: each sees only the reports before it.
        await index.add([fp])
        (lookup,) = await index.candidates([fp])
        (found,) = await index.evidence_candidates([fp])
        lookup = domain.with_evidence(lookup, found)
        links = domain.links(analysis, lookup.candidates, evidence_keys=fp.evidence)
        await index.join([domain.join_of(row["id"], lookup, links)])
        analyses.append(analysis)
    clusters = [index.cluster[row["id"]] for row in rows]
    sizes: dict[str, int] = {}
    for cluster in clusters:
        sizes[cluster] = sizes.get(cluster, 0) + 1
    priorities = [domain.priority(a, sizes[c])[0] for a, c in zip(analyses, clusters, strict=True)]
    return Sifted(analyses, clusters, priorities)


async def run(
    rows: list[dict[str, Any]], model: model_module.Model | None = None
) -> dict[str, Any]:
    return summary(rows, await sift(rows, model))


def summary(rows: list[dict[str, Any]], sifted: Sifted) -> dict[str, Any]:
    taxonomy = taxonomy_module.load()
    analyses, clusters, priorities = sifted.analyses, sifted.clusters, sifted.priorities
    n = len(rows)
    officials = [i for i, row in enumerate(rows) if row["official_involvement"]]
    precision, recall = pair_scores([row.get("group") for row in rows], clusters)
    return {
        "crime_type macro_f1": macro_f1(
            [set(row["crime_types"]) for row in rows],
            [set(a.crime_types) for a in analyses],
            list(taxonomy.crime_types),
        ),
        "industry accuracy": sum(
            a.industry == row["industry"] for a, row in zip(analyses, rows, strict=True)
        )
        / n,
        "province accuracy": sum(
            a.province == row["province"] for a, row in zip(analyses, rows, strict=True)
        )
        / n,
        "official_involvement recall": (
            sum(analyses[i].official_involvement for i in officials) / len(officials)
            if officials
            else 1.0
        ),
        "priority accuracy": sum(
            p == row["priority"] for p, row in zip(priorities, rows, strict=True)
        )
        / n,
        "duplicates": (precision, recall),
    }


def details(rows: list[dict[str, Any]], sifted: Sifted) -> dict[str, float]:
    """`--detail`: F1 per crime type, priority accuracy per level, official involvement's false
    alarms, reports with no province, and, where the file says how each report relates to its
    group's first (`kind`), the share of each kind put in that first report's cluster."""
    taxonomy = taxonomy_module.load()
    analyses, clusters = sifted.analyses, sifted.clusters
    truth = [set(row["crime_types"]) for row in rows]
    predicted = [set(a.crime_types) for a in analyses]
    found: dict[str, float] = {}
    for label in taxonomy.crime_types:
        found[f"f1 {label}"] = macro_f1(truth, predicted, [label])
    for level in domain.PRIORITIES:
        wanted = [i for i, row in enumerate(rows) if row["priority"] == level]
        if wanted:
            found[f"priority {level} recall"] = sum(
                sifted.priorities[i] == level for i in wanted
            ) / len(wanted)
    innocent = [i for i, row in enumerate(rows) if not row["official_involvement"]]
    if innocent:
        found["official_involvement false alarms"] = sum(
            analyses[i].official_involvement for i in innocent
        ) / len(innocent)
    found["reports with no province"] = sum(a.province is None for a in analyses)
    first: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row.get("kind") == "first" and row.get("group"):
            first.setdefault(row["group"], i)
    by_kind: dict[str, list[bool]] = {}
    for i, row in enumerate(rows):
        kind, group = row.get("kind"), row.get("group")
        if kind and kind != "first" and group in first:
            by_kind.setdefault(kind, []).append(clusters[i] == clusters[first[group]])
    for kind, linked in sorted(by_kind.items()):
        found[f"duplicates recall {kind}"] = sum(linked) / len(linked)
    return found


def main(argv: list[str]) -> int:
    detail = "--detail" in argv
    paths = [a for a in argv if a != "--detail"]
    rows = read_jsonl(Path(paths[0]) if paths else EVAL_FILE)
    sifted = asyncio.run(sift(rows))
    print_figures(summary(rows, sifted))
    if detail:
        for name, value in details(rows, sifted).items():
            print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
    return 0


def print_figures(figures: dict[str, Any]) -> None:
    """One figure a line, in the issue's format."""
    for name, value in figures.items():
        if name == "duplicates":
            print(f"duplicates precision: {value[0]:.3f} recall: {value[1]:.3f}")
        else:
            print(f"{name}: {value:.3f}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
