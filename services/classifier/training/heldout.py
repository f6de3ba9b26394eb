"""`python -m services.classifier.training.heldout` (`make heldout`): a score from the training
side alone, to choose features, settings and rules without ever looking at data/eval.jsonl.

A quarter of the separately written sentences (data/sentences) is held back. A model is
trained on reports generated from the rest, and scored on reports generated the way the
evaluation set is, whose crime and industry sentences are only the held-back ones and whose
other parts (openings, witnesses, entities) come from the training halves: so no evaluation
sentence is used, and the score measures wording the model has not seen. Nothing is written.

Read only its crime-type, industry, official-involvement and priority figures: the held-back
industry sentences seldom name a place, and its few held-back sentences recur across unrelated
reports, so its province and duplicate figures say nothing about the classifier.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from services.classifier.training import corpus, evaluate, train

HELD_BACK = 0.25


def _split(sentences: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    shuffled = sentences[:]
    rng.shuffle(shuffled)
    cut = max(1, round(len(shuffled) * HELD_BACK))
    return shuffled[cut:], shuffled[:cut]


def _is_pool(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(half, list) for half in value)
    )


@contextmanager
def held_out_corpus(seed: int = 5) -> Iterator[None]:
    rng = random.Random(seed)
    saved = dict(vars(corpus))
    try:
        # Every evaluation half is replaced by its training half...
        for name, value in saved.items():
            if _is_pool(value):
                setattr(corpus, name, (value[0], value[0]))
            elif isinstance(value, dict) and value and all(map(_is_pool, value.values())):
                setattr(corpus, name, {k: (v[0], v[0]) for k, v in value.items()})
        # ...and the crime and industry sentences of the held-out reports are held back.
        more_crime: dict[str, dict[str, list[str]]] = {"zh": {}, "en": {}}
        more_industry: dict[str, dict[str, list[str]]] = {"zh": {}, "en": {}}
        for lang, suffix in (("zh", "ZH"), ("en", "EN")):
            crime_pool = getattr(corpus, f"CRIME_{suffix}")
            for label, sentences in saved["MORE_CRIME"][lang].items():
                kept, held = _split(sentences, rng)
                more_crime[lang][label] = kept
                if label == "other":
                    setattr(corpus, f"OTHER_{suffix}", (saved[f"OTHER_{suffix}"][0], held))
                elif label == "official_collusion":
                    setattr(corpus, f"OFFICIAL_{suffix}", (saved[f"OFFICIAL_{suffix}"][0], held))
                else:
                    crime_pool[label] = (crime_pool[label][0], held)
            industry_pool = getattr(corpus, f"INDUSTRY_{suffix}")
            for label, sentences in saved["MORE_INDUSTRY"][lang].items():
                kept, held = _split(sentences, rng)
                more_industry[lang][label] = kept
                industry_pool[label] = (industry_pool[label][0], held)
        corpus.MORE_CRIME = more_crime
        corpus.MORE_INDUSTRY = more_industry
        # Held-out reports name officials innocently too: flagging those is a false alarm.
        for suffix in ("ZH", "EN"):
            kept, held = _split(saved[f"NEUTRAL_OFFICIALS_{suffix}"][0], rng)
            setattr(corpus, f"NEUTRAL_OFFICIALS_{suffix}", (kept, held))
        yield
    finally:
        for name, value in saved.items():
            setattr(corpus, name, value)


def score(train_reports: int = 8000) -> dict[str, Any]:
    with held_out_corpus():
        train_rows = corpus.training_set(train_reports) + corpus.training_sentences()
        held_rows = corpus.evaluation_set(seed=77)
    model = train.train(train_rows, "held-out")
    return asyncio.run(evaluate.run(held_rows, model))


def main(argv: list[str]) -> int:
    evaluate.print_figures(score(int(argv[0]) if argv else 8000))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
