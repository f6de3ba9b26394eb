"""Builds the classifier's model from the committed sentences and checks it against the record.

`python -m services.classifier.training.build` (`make model`, run by `make install` and the
image's build stage): generates the corpus (data/train.jsonl, data/eval.jsonl), trains,
evaluates on data/eval.jsonl, and compares with training/model-record.json:

- the corpus files' SHA-256 must match exactly: they are made by pure Python from the
  sentences with fixed seeds, so a difference means the sentences or the generator changed;
- the model file's SHA-256 should match. Floating-point sums round differently on another
  CPU (numpy's and OpenBLAS's SIMD kernels are chosen by the CPU: the record's machine gave
  crime-type macro-F1 0.948, the same corpus and packages on an AMD EPYC with AVX2 0.951),
  so when the bytes differ the evaluation figures decide: each within FIGURE_TOLERANCE of the
  record's, the model is accepted with a note naming what differs; otherwise the build fails
  and names every figure that is out.

Only a model that passes is moved into place as data/model.joblib, with data/model.json (the
model card) beside it. `--record` (`make train`) writes the record from the model just built
instead of checking: after an intended change to the sentences or the training, commit it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy
import scipy
import sklearn

from services.classifier import model as model_module
from services.classifier.training import corpus, evaluate, train

RECORD = Path(__file__).with_name("model-record.json")
MODEL_CARD = model_module.DATA / "model.json"
# Far above what rounding moves (0.003 seen across CPUs), far below what a change to the
# sentences or the training moves (0.02 and more).
FIGURE_TOLERANCE = 0.01


class BuildMismatch(RuntimeError):
    """The model built here is not the recorded one."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def figures(rows: list[dict[str, Any]], model: model_module.Model) -> dict[str, float]:
    """`make eval`'s figures, rounded as it prints them."""
    found = asyncio.run(evaluate.run(rows, model))
    precision, recall = found.pop("duplicates")
    found |= {"duplicates precision": precision, "duplicates recall": recall}
    return {name: round(float(value), 3) for name, value in found.items()}


def packages() -> dict[str, str]:
    return {
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }


def check_corpus(record: dict[str, Any], hashes: dict[str, str]) -> None:
    """Before training: the corpus generated is the recorded one, or BuildMismatch."""
    corpus_problems = [
        f"{name}: SHA-256 {hashes.get(name)}, recorded {digest}"
        for name, digest in record["corpus"].items()
        if hashes.get(name) != digest
    ]
    if corpus_problems:
        raise BuildMismatch(
            "the corpus generated from the sentences is not the recorded one ("
            + "; ".join(corpus_problems)
            + "): the sentences (data/sentences, data/corpus.json) or the generator changed. "
            "If that is intended, run `make train` and commit training/model-record.json."
        )


def check(record: dict[str, Any], built: dict[str, Any]) -> list[str]:
    """Notes on an accepted model (empty when it is the recorded one byte for byte); raises
    BuildMismatch saying what differs otherwise."""
    check_corpus(record, built["corpus"])
    if built["model_sha256"] == record["model_sha256"]:
        return []
    figure_problems = differing_figures(record, built, FIGURE_TOLERANCE)
    library = (
        f"built with {built['packages']}, recorded with {record['packages']}"
        if built["packages"] != record["packages"]
        else f"same packages ({built['packages']})"
    )
    if figure_problems:
        raise BuildMismatch(
            f"the model's bytes differ from the record (SHA-256 {built['model_sha256']}, "
            f"recorded {record['model_sha256']}; {library}) and so do its evaluation figures: "
            + ", ".join(figure_problems)
            + ". If the training was changed on purpose, run `make train` and commit "
            "training/model-record.json."
        )
    rounded = differing_figures(record, built, 0.0)
    return [
        f"the model's bytes differ from the record (SHA-256 {built['model_sha256']}, recorded "
        f"{record['model_sha256']}; {library}), as floating-point sums can on another CPU; "
        + (
            f"its evaluation figures are within {FIGURE_TOLERANCE} of the record's ("
            + ", ".join(rounded)
            + "), so it is accepted"
            if rounded
            else "its evaluation figures equal the record's, so it is accepted"
        )
    ]


def differing_figures(record: dict[str, Any], built: dict[str, Any], tolerance: float) -> list[str]:
    """Each recorded figure that the built model misses by more than `tolerance`."""
    found = built["evaluation"]
    return [
        f"{name} {found.get(name)} (recorded {value})"
        for name, value in record["evaluation"].items()
        if found.get(name) is None or abs(found[name] - value) > tolerance + 1e-9
    ]


def build(record_it: bool = False) -> int:
    print(corpus.write_corpora())
    hashes = {path.name: sha256(path) for path in (corpus.TRAIN_FILE, corpus.EVAL_FILE)}
    record = None if record_it else json.loads(RECORD.read_text())
    if record is not None:
        check_corpus(record, hashes)  # before the minutes of training
    staged = model_module.MODEL_FILE.with_name("model.joblib.new")
    trained = train.train_file(corpus.TRAIN_FILE, staged)
    # Evaluated as the service will run it: loaded back from the file.
    loaded = model_module.load(staged)
    built: dict[str, Any] = {
        "corpus": hashes,
        "model_sha256": sha256(staged),
        "packages": packages(),
        "evaluation": figures(corpus.read_jsonl(corpus.EVAL_FILE), loaded),
    }
    if record is None:
        RECORD.write_text(json.dumps({"version": trained.version, **built}, indent=2) + "\n")
        notes = [f"recorded {trained.version} in {RECORD.name}: commit it"]
    else:
        try:
            notes = check(record, built)
        except BuildMismatch:
            staged.unlink()
            raise
    os.replace(staged, model_module.MODEL_FILE)
    os.utime(model_module.MODEL_FILE)  # newer than the record just written: make sees it built
    MODEL_CARD.write_text(json.dumps(card(trained, built), indent=2, ensure_ascii=False) + "\n")
    for note in notes:
        print(f"note: {note}")
    print(
        f"built {trained.version} -> {model_module.MODEL_FILE.name}: "
        + ", ".join(f"{name} {value:.3f}" for name, value in built["evaluation"].items())
    )
    return 0


def card(model: model_module.Model, built: dict[str, Any]) -> dict[str, Any]:
    rows = corpus.read_jsonl(corpus.TRAIN_FILE)
    return {
        "version": model.version,
        "training_data": {
            "file": corpus.TRAIN_FILE.name,
            "sha256": built["corpus"][corpus.TRAIN_FILE.name],
            "reports": sum(1 for r in rows if r.get("kind") is None),
            **{
                f"{kind}s": sum(1 for r in rows if r.get("kind") == kind)
                for kind in ("official_sentence", "crime_sentence", "industry_sentence")
            },
        },
        "model_sha256": built["model_sha256"],
        "scikit_learn": sklearn.__version__,
        "packages": built["packages"],
        "features": "TF-IDF of character 1-4-grams within word boundaries",
        "crime_types": model.crime_labels,
        "industries": model.industry_labels,
        "evaluation": {"file": corpus.EVAL_FILE.name, **built["evaluation"]},
    }


def main(argv: list[str]) -> int:
    try:
        return build(record_it="--record" in argv)
    except BuildMismatch as problem:
        print(f"model build failed: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
