"""Trains the classifier's model from data/train.jsonl (what the service loads is in
services/classifier/model.py).

`python -m services.classifier.training.train [train.jsonl] [model.joblib]` trains and writes
the artefact, and nothing else; `make model` (build.py) generates the corpus first, trains
through here, checks the result against the record and writes the model card beside it.
Training is deterministic: the same training file and the same pinned packages give the same
model (every solver here is lbfgs, which draws no random numbers).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from services.classifier.model import MODEL_FILE, Model
from services.classifier.training.corpus import TRAIN_FILE, read_jsonl


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(1, 4),
        lowercase=True,
        sublinear_tf=True,
        min_df=2,
        max_features=300_000,
        dtype=np.float32,
    )


def train(rows: list[dict[str, Any]], version: str) -> Model:
    """Reports train the crime and industry heads; `official_sentence`, `crime_sentence` and
    `industry_sentence` rows the sentence readers."""
    kinds: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        kinds.setdefault(row.get("kind"), []).append(row)
    rows = kinds[None]
    vectorizer = _vectorizer()
    features = vectorizer.fit_transform([r["text"] for r in rows])
    binarizer = MultiLabelBinarizer()
    targets = binarizer.fit_transform([r["crime_types"] for r in rows])
    crime = OneVsRestClassifier(
        LogisticRegression(C=5.0, max_iter=2000, class_weight="balanced")
    ).fit(features, targets)
    industry = LogisticRegression(C=5.0, max_iter=2000, class_weight="balanced").fit(
        features, [r["industry"] for r in rows]
    )
    official = kinds["official_sentence"]
    official_sentence = LogisticRegression(C=5.0, max_iter=2000, class_weight="balanced").fit(
        vectorizer.transform([r["text"] for r in official]), [r["collusion"] for r in official]
    )
    readers = {}
    for kind in ("crime_sentence", "industry_sentence"):
        # Weakly regularised: a single sentence has few n-grams, and the held-out score
        # (heldout.py) was best at C = 100.
        readers[kind] = LogisticRegression(C=100.0, max_iter=3000, class_weight="balanced").fit(
            vectorizer.transform([r["text"] for r in kinds[kind]]),
            [r["label"] for r in kinds[kind]],
        )
    return Model(
        version=version,
        crime_labels=[str(c) for c in binarizer.classes_],
        industry_labels=[str(c) for c in industry.classes_],
        vectorizer=vectorizer,
        crime=crime,
        industry=industry,
        official_sentence=official_sentence,
        crime_sentence=readers["crime_sentence"],
        industry_sentence=readers["industry_sentence"],
    )


def save(model: Model, path: Path = MODEL_FILE) -> None:
    joblib.dump(
        {
            "version": model.version,
            "sklearn": sklearn.__version__,
            "crime_labels": model.crime_labels,
            "industry_labels": model.industry_labels,
            "vectorizer": model.vectorizer,
            "crime": model.crime,
            "industry": model.industry,
            "official_sentence": model.official_sentence,
            "crime_sentence": model.crime_sentence,
            "industry_sentence": model.industry_sentence,
        },
        path,
        compress=3,
    )


def version_of(training_file: Path) -> str:
    """The same training data always gives the same version."""
    return f"model-{hashlib.sha256(training_file.read_bytes()).hexdigest()[:10]}"


def train_file(source: Path, target: Path) -> Model:
    model = train(read_jsonl(source), version_of(source))
    save(model, target)
    return model


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else TRAIN_FILE
    target = Path(argv[1]) if len(argv) > 1 else MODEL_FILE
    model = train_file(source, target)
    print(f"trained {model.version} on {source} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
