"""The monthly sample on the running system: commit, draw, an outsider's check, outcomes, and
what the tracker shows staff and the reporter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient

from deploy.local.stack import REPO, Stack
from services.audit.sample.domain import BEACONS, iso
from services.audit.sample.entries import SAMPLE_REFUSED_V1
from services.common import tracking_code
from services.common.events import SUBMITTED_V1
from tests.integration.helpers import REPORT, submit, track, wait_for_stage, wait_until

QUICKNET = BEACONS["drand-quicknet"]
BEACON_VALUE = "5e" * 32


def staff(stack: Stack, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.staff_token(role, subject=f'{role}-1')}"}


def audit(
    stack: Stack,
    method: str,
    path: str,
    role: str = "auditor",
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> httpx.Response:
    headers = {**staff(stack, role), **(headers or {})}
    return httpx.request(method, f"{stack.url('audit')}{path}", headers=headers, timeout=30, **kw)


def report_id_of(stack: Stack, code: str) -> str:
    secret = stack.secrets["TRACKING_CODE_SECRET"].encode()
    code_hash = tracking_code.lookup_hash(tracking_code.normalize(code) or "", secret)
    case = MongoClient(stack.mongodb_uri)["tracker"]["cases"].find_one(
        {"tracking_code_hash": code_hash}, {"_id": 1}
    )
    assert case is not None
    return str(case["_id"])


def reports_in_a_period_of_their_own(stack: Stack, count: int) -> tuple[str, dict[str, str]]:
    """Submits `count` reports, waits until the audit log holds them classified, and returns
    a period that holds exactly them, with each report id's tracking code."""
    # Starts now, not a moment before: the previous test's last report may be a second old.
    start = datetime.now(UTC)
    codes = [submit(stack, REPORT).json()["tracking_code"] for _ in range(count)]
    for code in codes:
        wait_for_stage(stack, code, "classified", timeout=60)
    end = datetime.now(UTC) + timedelta(seconds=1)
    ids = {report_id_of(stack, code): code for code in codes}
    log = MongoClient(stack.mongodb_uri)["audit"]["audit_log"]
    wait_until(
        lambda: (
            log.count_documents(
                {
                    "record.event.subject": {"$in": list(ids)},
                    "record.event.data.stage": "classified",
                }
            )
            >= count
        ),
        30,
        "the audit log holding every classification",
    )
    time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds()))
    return f"{iso(start)}--{iso(end)}", ids


def refusals_logged(stack: Stack, period: str) -> list[dict[str, Any]]:
    log = MongoClient(stack.mongodb_uri)["audit"]["audit_log"]
    entries = log.find({"record.event.type": SAMPLE_REFUSED_V1, "record.event.data.period": period})
    return [entry["record"]["event"]["data"] for entry in entries]


def sample_command(stack: Stack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.audit.sample", *args],
        cwd=REPO,
        env={**os.environ, **stack.service_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_period_is_committed_drawn_checked_by_an_outsider_and_its_outcomes_summarised(
    stack: Stack, tmp_path: Path
):
    period, ids = reports_in_a_period_of_their_own(stack, 6)
    beacon_round = QUICKNET.round_at(datetime.now(UTC)) + 2
    body = {"period": period, "minimum": 3, "rate": "0", "beacon_round": beacon_round}

    assert (
        audit(stack, "POST", "/v1/audit/samples", role="supervisor", json=body).status_code == 403
    )
    committed = audit(stack, "POST", "/v1/audit/samples", json=body)
    assert committed.status_code == 201, committed.text
    record = committed.json()["record"]
    assert record["population"] == sorted(ids)
    assert record["commitment"]["sample_size"] == 3
    assert record["commitment"]["beacon"]["round"] == beacon_round
    assert record["draw"] is None

    again = audit(stack, "POST", "/v1/audit/samples", json=body)
    assert again.status_code == 409
    assert "committed once" in again.json()["detail"]["reason"]
    assert [r["attempt"] for r in refusals_logged(stack, period)] == ["commit"]

    printed = audit(stack, "GET", f"/v1/audit/samples/{period}/record.txt", role="supervisor")
    assert record["commitment_hash"] in printed.text and "Not drawn yet" in printed.text

    wrong_round = {"beacon": f"{beacon_round + 1}:{BEACON_VALUE}"}
    refused = audit(stack, "POST", f"/v1/audit/samples/{period}/draw", json=wrong_round)
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "beacon"

    wait_until(
        lambda: datetime.now(UTC) > QUICKNET.time_of(beacon_round), 30, "the round published"
    )
    beacon = {"beacon": f"{beacon_round}:{BEACON_VALUE}"}
    drawn = audit(stack, "POST", f"/v1/audit/samples/{period}/draw", json=beacon)
    assert drawn.status_code == 200, drawn.text
    sampled = [entry["report_id"] for entry in drawn.json()["draw"]["selection"]]
    assert len(sampled) == 3 and set(sampled) <= set(ids)

    redo = audit(stack, "POST", f"/v1/audit/samples/{period}/draw", json=beacon)
    assert redo.status_code == 409 and "drawn once" in redo.json()["detail"]["reason"]
    assert [r["attempt"] for r in refusals_logged(stack, period)] == ["commit", "draw"]
    published = audit(stack, "GET", f"/v1/audit/samples/{period}", role="supervisor").json()
    assert published["draw"] == drawn.json()["draw"]

    # An outsider re-derives the sample from the published record alone.
    path = tmp_path / "record.json"
    path.write_text(json.dumps(published))
    outsider = sample_command(stack, "verify", str(path))
    assert outsider.returncode == 0, outsider.stdout + outsider.stderr
    published["draw"]["selection"][0]["report_id"] = next(i for i in ids if i not in sampled)
    path.write_text(json.dumps(published))
    assert sample_command(stack, "verify", str(path)).returncode == 1

    # Staff see the stage on the case; the reporter never does.
    first = sampled[0]
    supervisor = staff(stack, "supervisor")

    def staff_stages() -> list[str]:
        case = httpx.get(f"{stack.url('tracker')}/v1/cases/{first}", headers=supervisor, timeout=10)
        return [entry["stage"] for entry in case.json()["timeline"]]

    wait_until(lambda: "sampled_for_verification" in staff_stages(), 30, "the stage at the tracker")
    reporter_view = track(stack, ids[first]).json()
    assert "sampled_for_verification" not in json.dumps(reporter_view)

    # Outcomes, once each, with a sealed note; the period's result.
    outcomes = ["verified", "verified", "verification_failed"]
    note = "Called the shop owner back; the story held."
    for report_id, outcome in zip(sampled, outcomes, strict=True):
        path_ = f"/v1/audit/samples/{period}/outcomes/{report_id}"
        answer = audit(stack, "POST", path_, json={"outcome": outcome, "note": note})
        assert answer.status_code == 201, answer.text
    second = audit(
        stack, "POST", f"/v1/audit/samples/{period}/outcomes/{first}", json={"outcome": "verified"}
    )
    assert second.status_code == 409
    outsider_id = next(i for i in ids if i not in sampled)
    assert (
        audit(
            stack,
            "POST",
            f"/v1/audit/samples/{period}/outcomes/{outsider_id}",
            json={"outcome": "verified"},
        ).status_code
        == 404
    )
    stored = MongoClient(stack.mongodb_uri)["audit"]["sample_outcomes"].find_one(
        {"report_id": first}
    )
    assert stored is not None and note.encode() not in bytes(stored["note"]["text"])
    assert note not in json.dumps(
        list(MongoClient(stack.mongodb_uri)["audit"]["audit_log"].find({}, {"_id": 0})),
        default=str,
    )

    listed = audit(stack, "GET", f"/v1/audit/samples/{period}/outcomes", role="supervisor").json()
    assert [o["outcome"] for o in listed["outcomes"]] == outcomes
    assert note not in json.dumps(listed)
    note_path = f"/v1/audit/samples/{period}/outcomes/{first}/note"
    assert audit(stack, "GET", note_path).status_code == 422  # no stated purpose
    opened = audit(
        stack, "GET", note_path, headers={"X-Access-Purpose": "Monthly verification review"}
    )
    assert opened.status_code == 200 and opened.json()["note"] == note

    def note_reads() -> int:
        access = audit(stack, "GET", f"/v1/audit/reports/{first}/access").json()["reads"]
        return sum(1 for read in access if read["fields"] == ["verification_note"])

    wait_until(lambda: note_reads() == 1, 30, "the note's read in the audit log")

    result = audit(stack, "GET", f"/v1/audit/samples/{period}/summary", role="supervisor").json()
    overall = result["overall"]
    assert (overall["checked"], overall["verified"], overall["verification_failed"]) == (3, 2, 1)
    assert abs(overall["authentic_share"] - 2 / 3) < 1e-9
    low, high = overall["interval_95"]
    assert low < 2 / 3 < high
    assert result["by_province"] == {"hunan": {"suppressed": True}}

    wait_until(lambda: "verified" in staff_stages(), 30, "the outcome at the tracker")
    assert "verified" not in [s["stage"] for s in track(stack, ids[first]).json()["history"]]
    assert audit(stack, "GET", "/v1/audit/verify").json()["intact"] is True


def test_the_commands_commit_and_draw_with_dice_and_refuse_a_redo(stack: Stack, tmp_path: Path):
    period, ids = reports_in_a_period_of_their_own(stack, 3)
    out = tmp_path / "committed.json"
    committed = sample_command(
        stack, "commit", "--period", period, "--no-beacon", "--dice", "5", "--minimum", "2",
        "--out", str(out),
    )  # fmt: skip
    assert committed.returncode == 0, committed.stderr
    assert json.loads(out.read_text())["population"] == sorted(ids)

    drawn = sample_command(stack, "draw", "--period", period, "--dice", "3,1,4,1,5")
    assert drawn.returncode == 0, drawn.stderr
    record = json.loads(drawn.stdout)
    assert record["draw"]["dice"] == [3, 1, 4, 1, 5] and len(record["draw"]["selection"]) == 2

    again = sample_command(stack, "draw", "--period", period, "--dice", "2,7,1,8,2")
    assert again.returncode == 1 and "drawn once" in again.stderr
    assert [r["attempt"] for r in refusals_logged(stack, period)] == ["draw"]

    path = tmp_path / "drawn.json"
    path.write_text(drawn.stdout)
    assert sample_command(stack, "verify", str(path)).returncode == 0

    status = json.loads(sample_command(stack, "status").stdout)
    row = next(row for row in status if row["period"] == period)
    assert row["population"] == 3 and row["drawn_at"] == record["draw"]["drawn_at"]


def test_reports_received_after_a_commit_are_not_in_its_population(stack: Stack):
    start = datetime.now(UTC)
    end = start + timedelta(minutes=10)  # still running: committed early, with a warning
    period = f"{iso(start)}--{iso(end)}"
    first = submit(stack, REPORT).json()["tracking_code"]
    wait_for_stage(stack, first, "classified", timeout=60)
    log = MongoClient(stack.mongodb_uri)["audit"]["audit_log"]
    first_id = report_id_of(stack, first)
    wait_until(
        lambda: (
            log.count_documents(
                {"record.event.subject": first_id, "record.event.type": SUBMITTED_V1}
            )
            == 1
        ),
        30,
        "the audit log holding the report",
    )
    committed = audit(stack, "POST", "/v1/audit/samples", json={"period": period, "minimum": 1})
    assert committed.status_code == 201, committed.text
    assert "still running" in committed.json()["warnings"][0]
    late = submit(stack, REPORT).json()["tracking_code"]
    wait_for_stage(stack, late, "classified", timeout=60)
    record = audit(stack, "GET", f"/v1/audit/samples/{period}").json()
    assert record["population"] == [first_id]
    assert record["commitment"]["period_still_running"] is True


def test_a_whole_month_is_committed_by_its_name(stack: Stack):
    # A month long past: the system holds none of its reports, and says so.
    committed = sample_command(stack, "commit", "--period", "2019-07", "--beacon-round", "99999999")
    assert committed.returncode == 0, committed.stderr
    record = json.loads(committed.stdout)
    assert record["commitment"]["period"] == {
        "id": "2019-07",
        "start": "2019-07-01T00:00:00Z",
        "end": "2019-08-01T00:00:00Z",
    }
    assert record["population"] == [] and record["commitment"]["sample_size"] == 0
    assert record["commitment"]["beacon"]["round"] == 99999999
    again = sample_command(stack, "commit", "--period", "2019-07")
    assert again.returncode == 1 and "committed once" in again.stderr
