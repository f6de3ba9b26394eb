"""The trained model: TF-IDF over character 1-4-grams (no segmenter needed for Chinese) with linear
classifiers, one per crime type (multi-label) and one for the industry, over the whole report;
and sentence readers over its single sentences.

A report tells its crime in a sentence or two among others about the writer, the workplace and
the gang's phone numbers, which drown it out in the whole report's n-grams. So every crime type
and industry gets the mean of two readings: the whole report's probability, and that of the
sentence that tells it best.

This module is what the service needs to load and run the model; training lives in
services/classifier/training/ (`make model` builds data/model.joblib from the committed
sentences, see train.py and build.py there). The service loads the artefact at start-up and
refuses a missing one, or one made by another scikit-learn version, rather than guess. Nothing
is fetched from the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

DATA = Path(__file__).with_name("data")
MODEL_FILE = DATA / "model.joblib"
NONE = "none"  # a sentence that tells no crime (or no industry)
_SENTENCE_END = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


class ModelMismatch(RuntimeError):
    """The artefact is missing, was made by another library version, or lacks a part this code
    reads: build it with `make model`."""


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


def load(path: Path = MODEL_FILE) -> Model:
    # A pickle: only ever load the artefact this repository's `make model` wrote.
    if not path.exists():
        raise ModelMismatch(
            f"no model at {path}: build it from the committed sentences with `make model`"
        )
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
