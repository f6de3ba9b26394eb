"""The monthly sample's pure parts: the sampler's published vectors, the commitment, the draw,
`verify` on a fresh process, and the period's result."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from consistent_sampler import sampler

from services.audit.sample import record as published
from services.audit.sample.domain import (
    BEACONS,
    CommitRequest,
    Invalid,
    Rule,
    build_commitment,
    build_draw,
    parse_period,
)
from services.audit.sample.results import summarise, wilson_interval

REPO = Path(__file__).resolve().parents[2]
QUICKNET = BEACONS["drand-quicknet"]
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
VALUE = "a1" * 32


# -- the sampler's published test vectors (its docstrings and USAGE_EXAMPLES.md) --------------


def test_the_sampler_matches_its_published_vectors():
    assert list(sampler(["ab-1", "ab-2", "cd-1", "ef-3"], seed=314159)) == [
        ("0.317685817", "cd-1", 1),
        ("0.832984519", "ef-3", 1),
        ("0.9098039269", "ab-1", 1),
        ("0.9231549043", "ab-2", 1),
    ]
    assert list(sampler(["a", "b", "c", "d"], seed=31, output="id")) == ["b", "a", "d", "c"]
    assert list(sampler(["a", "b", "c", "d"], seed=77, output="id")) == ["b", "d", "c", "a"]
    assert list(sampler(range(100), seed=41, output="id", take=10)) == [
        73, 51, 17, 58, 38, 42, 39, 20, 11, 67,
    ]  # fmt: skip
    assert list(sampler(range(100), seed=41, take=2)) == [
        ("0.000508333", 73, 1),
        ("0.003446232", 51, 1),
    ]


def test_tickets_are_sha256_of_the_hashed_seed_and_the_id_as_published():
    from consistent_sampler import first_fraction, sha256_hex

    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert first_fraction("AB-130", "01382438112797316654") == (
        "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"
    )


# -- periods ----------------------------------------------------------------------------------


def test_a_month_runs_from_its_first_midnight_to_the_next_months():
    period = parse_period("2026-12")
    assert (period.start, period.end) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    shanghai = parse_period("2026-11", "Asia/Shanghai")
    assert shanghai.start == datetime(2026, 10, 31, 16, tzinfo=UTC)


def test_any_interval_is_a_period_and_a_bad_one_is_refused_by_name():
    period = parse_period("2026-11-03T10:00:00+08:00/2026-11-03T11:00:00+08:00")
    assert period.id == "2026-11-03T02:00:00Z--2026-11-03T03:00:00Z"
    for bad in ("2026-13", "November", "2026-11-03T10:00:00--2026-11-03T11:00:00"):
        with pytest.raises(Invalid) as refused:
            parse_period(bad)
        assert refused.value.field == "period"


# -- commit, draw, verify ---------------------------------------------------------------------

IDS = [f"r-{i:03d}" for i in range(60)]
PROVINCES = {rid: ("hunan" if i % 3 else "guangdong") for i, rid in enumerate(IDS)}


def committed(stratify: bool = False, dice: int = 0, **rule: object) -> dict:
    request = CommitRequest(
        period=parse_period("2026-11"),
        rule=Rule(
            minimum=int(rule.get("minimum", 5)),  # type: ignore[call-overload]
            rate=str(rule.get("rate", "0.1")),
            stratify_by="province" if stratify else None,
        ),
        beacon=QUICKNET,
        beacon_round=QUICKNET.round_at(NOW) + 20,
        dice=dice,
    )
    record, warnings = build_commitment(request, PROVINCES, NOW, "auditor-1")
    assert warnings == []
    return record


def drawn(record: dict, dice: list[int] | None = None) -> dict:
    round_number = record["commitment"]["beacon"]["round"]
    later = QUICKNET.time_of(round_number) + timedelta(seconds=1)
    draw = build_draw(record, (round_number, VALUE), dice or [], later, "auditor-2")
    return {**record, "draw": draw}


def test_the_sample_size_follows_the_rule():
    assert published.sample_size({"minimum": 5, "rate": "0.1"}, 60) == 6
    assert published.sample_size({"minimum": 20, "rate": "0.01"}, 60) == 20
    assert published.sample_size({"minimum": 20, "rate": "0.01"}, 7) == 7
    assert published.sample_size({"minimum": 0, "rate": "0.015"}, 1000) == 15


def test_a_commitment_freezes_the_sorted_population_and_names_a_future_round():
    record = committed()
    commitment = record["commitment"]
    assert record["population"] == sorted(IDS)
    assert commitment["population"]["count"] == 60
    assert commitment["population"]["hash"] == published.lines_hash(sorted(IDS))
    assert commitment["sample_size"] == 6
    assert commitment["beacon"]["round"] > QUICKNET.round_at(NOW)
    assert record["draw"] is None and published.verify_record(record) == []


def test_a_round_already_published_cannot_be_named():
    request = CommitRequest(
        period=parse_period("2026-11"),
        rule=Rule(minimum=1, rate="0"),
        beacon=QUICKNET,
        beacon_round=QUICKNET.round_at(NOW),
    )
    with pytest.raises(Invalid) as refused:
        build_commitment(request, PROVINCES, NOW, "a")
    assert refused.value.field == "beacon_round"


def test_committing_a_running_month_warns_and_says_so_in_the_record():
    request = CommitRequest(
        period=parse_period("2026-12"), rule=Rule(minimum=1, rate="0"), beacon=QUICKNET
    )
    record, warnings = build_commitment(request, PROVINCES, NOW, "a")
    assert "still running" in warnings[0]
    assert record["commitment"]["period_still_running"] is True


def test_the_draw_needs_the_named_round_after_it_is_published_and_the_committed_dice():
    record = committed(dice=3)
    named = record["commitment"]["beacon"]["round"]
    after = QUICKNET.time_of(named) + timedelta(seconds=1)
    with pytest.raises(Invalid, match="names round"):
        build_draw(record, (named + 1, VALUE), [1, 2, 3], after, "a")
    with pytest.raises(Invalid, match="cannot be known"):
        build_draw(record, (named, VALUE), [1, 2, 3], QUICKNET.time_of(named) - timedelta(1), "a")
    with pytest.raises(Invalid, match="3 dice"):
        build_draw(record, (named, VALUE), [1, 2], after, "a")
    draw = build_draw(record, (named, VALUE), [1, 2, 3], after, "a")
    assert len(draw["selection"]) == 6


def test_the_same_record_draws_the_same_sample_and_the_seed_follows_from_its_inputs():
    first, second = drawn(committed()), drawn(committed())
    assert first["draw"]["selection"] == second["draw"]["selection"]
    assert first["draw"]["seed"] == published.derive_seed(
        first["commitment_hash"], first["draw"]["beacon"], []
    )
    tickets = [entry["ticket"] for entry in first["draw"]["selection"]]
    assert tickets == sorted(tickets)


def test_a_stratified_sample_applies_the_rule_to_each_province():
    record = drawn(committed(stratify=True, minimum=2, rate="0.1"))
    sizes = record["commitment"]["strata"]["sizes"]
    assert sizes == {"guangdong": 2, "hunan": 4}
    chosen = record["draw"]["selection"]
    assert sum(1 for e in chosen if e["stratum"] == "guangdong") == 2
    assert all(PROVINCES[e["report_id"]] == e["stratum"] for e in chosen)
    assert published.verify_record(record) == []


def write(tmp_path: Path, record: dict) -> Path:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    return path


def verify_in_fresh_process(path: Path) -> subprocess.CompletedProcess[str]:
    """`verify` in a new interpreter where Tipline's other dependencies cannot be imported,
    as on an outsider's machine that has only the standard library and the sampler."""
    blocker = (
        "import sys, runpy\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'pymongo', 'pydantic', 'fastapi', 'aiokafka',\n"
        "                                  'cryptography', 'pydantic_settings', 'httpx'}:\n"
        "            raise ImportError('not on an outsider machine: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"sys.argv = ['sample', 'verify', {str(path)!r}]\n"
        "runpy.run_module('services.audit.sample', run_name='__main__')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", blocker], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_verify_re_derives_the_record_in_a_fresh_process_with_the_standard_library(tmp_path):
    record = drawn(committed(stratify=True, dice=4), dice=[3, 1, 4, 1])
    result = verify_in_fresh_process(write(tmp_path, record))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Seed {record['draw']['seed']}" in result.stdout


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda r: r["population"].pop(), id="a report removed from the population"),
        pytest.param(lambda r: r["population"].append("r-999"), id="a report added"),
        pytest.param(lambda r: r["commitment"]["rule"].update(rate="0.5"), id="the rule changed"),
        pytest.param(lambda r: r["draw"].update(seed="0" * 64), id="another seed"),
        pytest.param(lambda r: r["draw"]["beacon"].update(value="b2" * 32), id="another value"),
        pytest.param(lambda r: r["draw"]["selection"].pop(), id="a sampled report dropped"),
        pytest.param(
            lambda r: r["draw"]["selection"][0].update(report_id="r-000"), id="another report"
        ),
    ],
)
def test_a_record_with_a_changed_population_seed_or_selection_fails_verify(tmp_path, tamper):
    record = copy.deepcopy(drawn(committed()))
    tamper(record)
    assert published.verify_record(record) != []
    result = verify_in_fresh_process(write(tmp_path, record))
    assert result.returncode == 1
    assert "MISMATCH" in result.stdout


# -- the period's result ----------------------------------------------------------------------


def test_the_wilson_interval_matches_the_textbook_figures():
    low, high = wilson_interval(8, 10) or (0, 0)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(10, 10) or (0, 0)
    assert high == pytest.approx(1.0) and round(low, 4) == 0.7225


def test_outcomes_are_counted_and_small_groups_show_no_figures():
    sampled = [f"s{i}" for i in range(8)]
    outcomes = {f"s{i}": "verified" for i in range(5)}
    outcomes |= {"s5": "verification_failed", "s6": "could_not_verify"}
    categories = {rid: ("hunan", ["extortion"]) for rid in sampled[:6]}
    categories |= {"s6": ("guangdong", ["fraud"]), "s7": ("guangdong", ["fraud"])}
    result = summarise(sampled, outcomes, categories, min_count=5)
    overall = result["overall"]
    assert (overall["sampled"], overall["checked"], overall["pending"]) == (8, 7, 1)
    assert (overall["verified"], overall["verification_failed"]) == (5, 1)
    assert overall["could_not_verify"] == 1
    assert overall["authentic_share"] == pytest.approx(5 / 6)
    assert overall["interval_95"][0] < 5 / 6 < overall["interval_95"][1]
    assert result["by_province"]["hunan"]["verified"] == 5
    assert result["by_province"]["guangdong"] == {"suppressed": True}
    assert result["by_crime_type"]["fraud"] == {"suppressed": True}


def test_a_commitment_needs_some_randomness_and_dice_alone_will_do():
    period, rule = parse_period("2026-11"), Rule(minimum=2, rate="0")
    with pytest.raises(Invalid) as refused:
        build_commitment(CommitRequest(period, rule, beacon=None), PROVINCES, NOW, "a")
    assert refused.value.field == "beacon"
    record, _ = build_commitment(CommitRequest(period, rule, None, dice=3), PROVINCES, NOW, "a")
    record["draw"] = build_draw(record, None, [9, 0, 9], NOW, "b")
    assert record["draw"]["beacon"] is None and published.verify_record(record) == []
    with pytest.raises(Invalid, match="names no beacon"):
        build_draw(record, (1, VALUE), [9, 0, 9], NOW, "b")


def test_a_bad_rule_is_refused_naming_the_setting():
    for bad, name in (
        ({"rate": "1.5"}, "rate"),
        ({"rate": "a lot"}, "rate"),
        ({"minimum": -1}, "minimum"),
    ):
        with pytest.raises(Invalid) as refused:
            Rule(**{"minimum": 1, "rate": "0.1", **bad})  # type: ignore[arg-type]
        assert refused.value.field == name


def test_the_printable_record_names_the_commitment_and_the_round(tmp_path):
    from services.audit.sample.domain import printable

    record = committed()
    page = printable(record)
    assert record["commitment_hash"] in page
    assert f"round {record['commitment']['beacon']['round']}" in page
    assert "Not drawn yet" in page
    result = verify_in_fresh_process(write(tmp_path, record))
    assert result.returncode == 0 and "Not drawn yet" in result.stdout
