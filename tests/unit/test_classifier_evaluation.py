import json
import subprocess
import sys

from services.classifier.training.corpus import TRAIN_FILE, read_jsonl
from services.classifier.training.evaluate import EVAL_FILE, macro_f1, pair_scores


def test_macro_f1_averages_over_labels():
    truth = [{"a"}, {"b"}, {"a", "b"}]
    assert macro_f1(truth, truth, ["a", "b", "c"]) == 1.0
    assert macro_f1(truth, [{"a"}, {"a"}, {"a"}], ["a", "b"]) == (0.8 + 0.0) / 2


def test_a_predicted_pair_is_right_when_both_reports_share_a_group():
    groups = ["g1", "g1", None, "g2", "g2"]
    assert pair_scores(groups, ["c1", "c1", "c2", "c3", "c3"]) == (1.0, 1.0)
    precision, recall = pair_scores(groups, ["c1", "c1", "c1", "c3", "c4"])
    assert (round(precision, 3), recall) == (0.333, 0.5)


def test_the_evaluation_set_is_large_bilingual_and_apart_from_the_training_set():
    evaluation, training = read_jsonl(EVAL_FILE), read_jsonl(TRAIN_FILE)
    assert len(evaluation) >= 400
    languages = [row["lang"] for row in evaluation]
    assert 0.4 <= languages.count("zh") / len(evaluation) <= 0.6
    assert not {row["text"] for row in evaluation} & {row["text"] for row in training}
    # Nor does any sentence the sentence readers were trained on appear in an evaluation report.
    everything_evaluated = "\n".join(row["text"] for row in evaluation)
    sentences = [row["text"] for row in training if row.get("kind")]
    assert sentences
    assert not [s for s in sentences if s in everything_evaluated]
    groups = [row["group"] for row in evaluation if row["group"]]
    assert len(groups) > len(set(groups)) >= 50


def test_make_eval_prints_one_figure_a_line_for_any_labelled_file(tmp_path):
    rows = read_jsonl(EVAL_FILE)[:30]
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    out = subprocess.run(
        [sys.executable, "-m", "services.classifier.training.evaluate", str(sample)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    names = [line.rsplit(":", 1)[0] for line in out[:-1]]
    assert names == [
        "crime_type macro_f1",
        "industry accuracy",
        "province accuracy",
        "official_involvement recall",
        "priority accuracy",
    ]
    assert out[-1].startswith("duplicates precision: ") and " recall: " in out[-1]
