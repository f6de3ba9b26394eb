"""The trained model: TF-IDF over character 1-4-grams (no segmenter needed for Chinese) with linear
classifiers, one per crime type (multi-label) and one for the industry, over the whole report;
and sentence readers over its single sentences.

A report tells its crime in a sentence or two among others about the writer, the workplace and
the gang's phone numbers, which drown it out in the whole report's n-grams. So every crime type
and industry gets the mean of two readings: the whole report's probability, and that of the
sentence that tells it best.

`python -m services.classifier.model` (`make train`) trains it from data/train.jsonl and writes
data/model.joblib with data/model.json beside it (version, training-data hash, library
versions, label names). The service loads the artefact at start-up and refuses one made by
another scikit-learn version rather than guess. Nothing is fetched from the network.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

DATA = Path(__file__).with_name("data")
MODEL_FILE = DATA / "model.joblib"
MODEL_CARD = DATA / "model.json"
TRAIN_FILE = DATA / "train.jsonl"
NONE = "none"  # a sentence that tells no crime (or no industry)
_SENTENCE_END = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


class ModelMismatch(RuntimeError):
    """The artefact was made by another library version, or lacks a part this code reads:
    retrain with `make train`."""


@dataclass
class Predictions:
    crime_types: dict[str, float]  # every crime type's probability
    industries: dict[str, float]  # every industry's probability


@dataclass
class Model:
    version: str
    crime_labels: list[str]
    industry_labels: list[str]
    vectorizer: TfidfVectorizer
    crime: OneVsRestClassifier
    industry: LogisticRegression
    # Reads one sentence that names an official: does it say the official colludes?
    official_sentence: LogisticRegression
    # Read every sentence on its own: which crime, which industry (or none) does it tell?
    crime_sentence: LogisticRegression
    industry_sentence: LogisticRegression

    def __post_init__(self) -> None:
        # The linear layers as plain matrices: scikit-learn's per-call input checks cost more
        # than the arithmetic for one report (12 one-vs-rest models, each checked again).
        self._crime_w = np.vstack([e.coef_ for e in self.crime.estimators_]).T
        self._crime_b = np.array([e.intercept_[0] for e in self.crime.estimators_])
        self._industry_w = self.industry.coef_.T
        self._industry_b = self.industry.intercept_
        self._official_w = self.official_sentence.coef_[0]
        self._official_b = self.official_sentence.intercept_[0]
        self._crime_sentence_w = self.crime_sentence.coef_.T
        self._crime_sentence_b = self.crime_sentence.intercept_
        self._industry_sentence_w = self.industry_sentence.coef_.T
        self._industry_sentence_b = self.industry_sentence.intercept_

    def predict(self, text: str) -> Predictions:
        return self.predict_many([text])[0]

    def predict_many(self, texts: list[str]) -> list[Predictions]:
        if not texts:
            return []
        whole = self.vectorizer.transform(texts)
        crime = _sigmoid(whole @ self._crime_w + self._crime_b)
        industry = _softmax(whole @ self._industry_w + self._industry_b)
        features, starts = self._sentence_features(texts)
        sentence_crime = _softmax(features @ self._crime_sentence_w + self._crime_sentence_b)
        sentence_industry = _softmax(
            features @ self._industry_sentence_w + self._industry_sentence_b
        )
        return self._blend(crime, industry, sentence_crime, sentence_industry, starts)

    def _sentence_features(self, texts: list[str]) -> tuple[Any, np.ndarray]:
        """Every sentence of every report in one matrix, and where each report's rows start."""
        split = [sentences(text) or [text] for text in texts]
        starts = np.cumsum([0] + [len(s) for s in split[:-1]])
        return self.vectorizer.transform([s for each in split for s in each]), starts

    def _blend(
        self,
        crime: np.ndarray,
        industry: np.ndarray,
        sentence_crime: np.ndarray,
        sentence_industry: np.ndarray,
        starts: np.ndarray,
    ) -> list[Predictions]:
        """Each label: the mean of the whole report's probability and its best sentence's. The
        industry's best sentences are scaled to sum to one, so it stays a distribution."""
        crime_classes = list(self.crime_sentence.classes_)
        industry_classes = list(self.industry_sentence.classes_)
        best_crime = np.maximum.reduceat(
            sentence_crime[:, [crime_classes.index(c) for c in self.crime_labels]], starts, axis=0
        )
        best_industry = np.maximum.reduceat(
            sentence_industry[:, [industry_classes.index(c) for c in self.industry_labels]],
            starts,
            axis=0,
        )
        best_industry /= best_industry.sum(axis=1, keepdims=True)
        crime = (crime + best_crime) / 2
        industry = (industry + best_industry) / 2
        return [
            Predictions(
                crime_types=dict(zip(self.crime_labels, map(float, c), strict=True)),
                industries=dict(zip(self.industry_labels, map(float, i), strict=True)),
            )
            for c, i in zip(crime, industry, strict=True)
        ]

    def official_probabilities(self, sentences: list[str]) -> list[float]:
        """For each sentence naming an official: the probability that it tells of collusion."""
        if not sentences:
            return []
        scores = self.vectorizer.transform(sentences) @ self._official_w + self._official_b
        return [float(p) for p in _sigmoid(scores)]

    def predict_with_sklearn(self, texts: list[str]) -> list[Predictions]:
        """The same through scikit-learn's own predict_proba: the reference the fast path is
        tested against."""
        whole = self.vectorizer.transform(texts)
        features, starts = self._sentence_features(texts)
        return self._blend(
            self.crime.predict_proba(whole),
            self.industry.predict_proba(whole),
            self.crime_sentence.predict_proba(features),
            self.industry_sentence.predict_proba(features),
            starts,
        )


def _sigmoid(scores: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-scores))


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


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


def save(model: Model, card: dict[str, Any]) -> None:
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
        MODEL_FILE,
        compress=3,
    )
    MODEL_CARD.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")


def load(path: Path = MODEL_FILE) -> Model:
    # A pickle: only ever load the artefact this repository's `make train` wrote.
    stored = joblib.load(path)
    if stored["sklearn"] != sklearn.__version__:
        raise ModelMismatch(
            f"model made with scikit-learn {stored['sklearn']}, running {sklearn.__version__}"
        )
    missing = sorted(set(Model.__dataclass_fields__) - set(stored))
    if missing:
        raise ModelMismatch(f"model {stored['version']} lacks {', '.join(missing)}")
    return Model(
        version=stored["version"],
        crime_labels=stored["crime_labels"],
        industry_labels=stored["industry_labels"],
        vectorizer=stored["vectorizer"],
        crime=stored["crime"],
        industry=stored["industry"],
        official_sentence=stored["official_sentence"],
        crime_sentence=stored["crime_sentence"],
        industry_sentence=stored["industry_sentence"],
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else TRAIN_FILE
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    rows = read_jsonl(source)
    version = f"model-{digest[:10]}"  # the same data always gives the same version
    model = train(rows, version)
    save(
        model,
        {
            "version": version,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "training_data": {
                "file": source.name,
                "sha256": digest,
                "reports": sum(1 for r in rows if r.get("kind") is None),
                **{
                    f"{kind}s": sum(1 for r in rows if r.get("kind") == kind)
                    for kind in ("official_sentence", "crime_sentence", "industry_sentence")
                },
            },
            "scikit_learn": sklearn.__version__,
            "features": "TF-IDF of character 1-4-grams within word boundaries",
            "crime_types": model.crime_labels,
            "industries": model.industry_labels,
        },
    )
    print(f"trained {version} on {len(rows)} rows -> {MODEL_FILE.relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
