"""The token command refuses a scope the routing table does not know, before issuing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common import tokens

INVESTIGATOR = ["issue", "--subject", "inv-0042", "--role", "investigator"]


def test_an_unknown_province_or_team_is_refused_with_the_valid_ids(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_ROUTING_FILE", raising=False)
    # No signing key is set: the scope is checked first, so nothing else is needed to refuse.
    monkeypatch.delenv("TOKEN_PRIVATE_KEY_FILE", raising=False)
    code = tokens.main([*INVESTIGATOR, "--province", "Hunan", "--team", "hunan-1"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""  # nothing that could be taken for a token
    assert "unknown --province Hunan" in err and "hunan, inner_mongolia" in err
    assert "unknown --team hunan-1" in err and "inspection-hunan" in err


def test_the_routing_tables_ids_are_accepted() -> None:
    table = tokens.routing_table()
    assert tokens.scope_problem(table, ["hunan"], ["inspection-hunan"]) is None
    assert tokens.scope_problem(table, [], ["inspection-dalian", "central-inspection"]) is None


def test_the_scope_is_checked_against_the_table_the_tracker_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table_file = tmp_path / "routing.toml"
    table_file.write_text('[central]\nteam = "hq"\n[provinces.hunan]\nteam = "team-a"\n')
    monkeypatch.setenv("TRACKER_ROUTING_FILE", str(table_file))
    table = tokens.routing_table()
    assert tokens.scope_problem(table, ["hunan"], ["team-a"]) is None
    problem = tokens.scope_problem(table, ["hubei"], ["inspection-hunan"])
    assert problem is not None
    assert "provinces are: hunan" in problem and "teams are: hq, team-a" in problem
