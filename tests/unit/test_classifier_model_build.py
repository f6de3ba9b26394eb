import json

import pytest

from services.classifier.model import MODEL_FILE, ModelMismatch, load
from services.classifier.training import build, corpus
from services.common.http import readiness_answer

RECORD = {
    "version": "model-abc",
    "corpus": {"train.jsonl": "t" * 64, "eval.jsonl": "e" * 64},
    "model_sha256": "m" * 64,
    "packages": {"scikit-learn": "1.9.1", "numpy": "2.4.6", "scipy": "1.17.1"},
    "evaluation": {"crime_type macro_f1": 0.948, "duplicates recall": 0.886},
}


def built(**changes: object) -> dict[str, object]:
    return {key: changes.get(key, value) for key, value in RECORD.items() if key != "version"}


def test_the_recorded_model_built_again_is_accepted_without_a_note():
    assert build.check(RECORD, built()) == []


def test_a_model_with_other_bytes_but_the_recorded_figures_is_accepted_with_a_note():
    (note,) = build.check(RECORD, built(model_sha256="x" * 64))
    assert "bytes differ" in note and "figures equal the record's" in note


def test_a_model_with_figures_moved_by_rounding_is_accepted_naming_them():
    figures = {"crime_type macro_f1": 0.951, "duplicates recall": 0.886}
    (note,) = build.check(RECORD, built(model_sha256="x" * 64, evaluation=figures))
    assert "within 0.01 of the record's (crime_type macro_f1 0.951 (recorded 0.948))" in note


def test_a_model_with_other_figures_fails_naming_each_figure_that_differs():
    figures = {"crime_type macro_f1": 0.931, "duplicates recall": 0.886}
    with pytest.raises(build.BuildMismatch) as problem:
        build.check(RECORD, built(model_sha256="x" * 64, evaluation=figures))
    message = str(problem.value)
    assert "crime_type macro_f1 0.931 (recorded 0.948)" in message
    assert "duplicates recall" not in message
    assert "make train" in message


def test_another_corpus_fails_naming_the_file_whatever_the_model():
    other = {"train.jsonl": "u" * 64, "eval.jsonl": "e" * 64}
    with pytest.raises(build.BuildMismatch) as problem:
        build.check(RECORD, built(corpus=other))
    assert f"train.jsonl: SHA-256 {'u' * 64}, recorded {'t' * 64}" in str(problem.value)
    assert "eval.jsonl" not in str(problem.value)


def test_the_record_describes_the_built_model_and_corpus():
    """The committed record matches what `make model` built here (it stops otherwise)."""
    record = json.loads(build.RECORD.read_text())
    assert record["corpus"]["train.jsonl"] == build.sha256(corpus.TRAIN_FILE)
    assert record["corpus"]["eval.jsonl"] == build.sha256(corpus.EVAL_FILE)
    card = json.loads(build.MODEL_CARD.read_text())
    assert card["version"] == record["version"]
    assert card["evaluation"].pop("file") == "eval.jsonl"
    assert card["evaluation"].keys() == record["evaluation"].keys()
    for name, value in record["evaluation"].items():
        assert abs(card["evaluation"][name] - value) <= build.FIGURE_TOLERANCE, name
    assert card["model_sha256"] == build.sha256(MODEL_FILE)


def test_a_missing_model_is_refused_saying_how_to_build_it(tmp_path):
    with pytest.raises(ModelMismatch, match=r"no model at .*`make model`"):
        load(tmp_path / "model.joblib")


@pytest.mark.parametrize(
    ("checks", "required", "status", "state"),
    [
        ({"database": True, "kafka": True}, None, 200, "ready"),
        ({"database": True, "kafka": False}, None, 503, "not ready"),
        ({"database": True, "kafka": False}, ("database",), 200, "degraded"),
    ],
)
def test_readiness_is_decided_alike_for_every_service(checks, required, status, state):
    assert readiness_answer(checks, required) == (status, {"status": state, "checks": checks})
