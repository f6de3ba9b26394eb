"""Who may read a report, how every read is audited, and how keys rotate — on the real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.stack import REPO, Stack
from services.common import topics, tracking_code
from services.common.events import SUBMITTED_V1, Channel, ReportSubmitted, new_event, utcnow
from tests.integration.helpers import (
    StartStack,
    code_hash_of,
    metric,
    mongo_client,
    produce,
    read_topic,
    submit,
    track,
    wait_for_stage,
    wait_until,
)

PURPOSE = {"X-Access-Purpose": "verifying the extortion claims before assigning a team"}
REPORT = {
    "channel": "web",
    "narrative": "The sand-dredging gang beats villagers who complain; 采砂船每晚出动。",
    "location": {"province": "湖南", "city": "岳阳"},
    "contact": {"phone": "+86 139 0000 1111"},
}


def _staff(stack: Stack, role: str, **scope: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.staff_token(role, **scope)}", **PURPOSE}


def _read(stack: Stack, report_id: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    return httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}",
        headers=headers,
        params=params,
        timeout=10,
    )


def _classified_report(stack: Stack) -> tuple[str, str]:
    """A report the classifier has placed in a province: (report id, province)."""
    code = submit(stack, REPORT).json()["tracking_code"]
    wait_for_stage(stack, code, "classified")
    code_hash = code_hash_of(stack, code)
    reports = mongo_client(stack)["intake"]["reports"]

    def scoped() -> dict[str, Any] | None:
        document = reports.find_one({"tracking_code_hash": code_hash})
        return document if document and document["scope"]["province"] else None

    wait_until(lambda: scoped() is not None, 20, "intake learning the report's province")
    document = scoped()
    assert document is not None
    return document["_id"], document["scope"]["province"]


def test_an_in_scope_investigator_reads_the_report_and_the_read_is_audited(stack: Stack):
    report_id, province = _classified_report(stack)
    investigator = _staff(stack, "investigator", subject="inv-7", provinces=[province])

    content = _read(stack, report_id, investigator)
    assert content.status_code == 200, content.text
    assert content.json()["narrative"] == REPORT["narrative"]
    assert "contact" not in content.json()
    assert content.headers["cache-control"] == "no-store"
    both = _read(stack, report_id, investigator, part=["content", "contact"])
    assert both.json()["contact"]["phone"] == "+86 139 0000 1111"

    auditor = {"Authorization": f"Bearer {stack.staff_token('auditor')}"}
    access_url = f"{stack.url('audit')}/v1/audit/reports/{report_id}/access"

    def reads() -> list[dict[str, Any]]:
        return list(httpx.get(access_url, headers=auditor, timeout=10).json()["reads"])

    def staff_reads() -> list[dict[str, Any]]:
        return [read for read in reads() if read["role"] != "service"]

    wait_until(lambda: len(staff_reads()) == 2, 20, "both reads reaching the audit log")
    first, second = staff_reads()
    # The classifier's own read of the content is on record too.
    machine = [read for read in reads() if read["role"] == "service"]
    assert [(read["staff"], read["fields"]) for read in machine] == [("classifier", ["content"])]
    assert (first["staff"], first["role"], first["fields"]) == (
        "inv-7",
        "investigator",
        ["content"],
    )
    assert second["fields"] == ["contact", "content"]
    assert first["purpose"] == PURPOSE["X-Access-Purpose"]
    assert first["position"] < second["position"]
    assert "+86 139" not in json.dumps(reads()) and "采砂" not in json.dumps(reads())
    # Everything one person has read, newest first and paged, for auditors only.
    by_person = f"{stack.url('audit')}/v1/audit/staff/inv-7/access"
    mine = httpx.get(by_person, headers=auditor, params={"size": 1}, timeout=10).json()
    assert mine["total"] >= 2 and len(mine["reads"]) == 1
    assert mine["reads"][0]["position"] == second["position"]
    older = httpx.get(by_person, headers=auditor, params={"size": 1, "page": 2}, timeout=10)
    assert older.json()["reads"][0]["position"] < second["position"]
    assert {r["staff"] for r in mine["reads"]} == {"inv-7"}
    assert httpx.get(by_person, headers=_staff(stack, "supervisor"), timeout=10).status_code == 403
    too_big = httpx.get(by_person, headers=auditor, params={"size": 1000}, timeout=10)
    assert too_big.status_code == 422 and "size" in too_big.text
    # Only auditors list access; the chain still verifies with the access entries in it.
    assert httpx.get(access_url, headers=_staff(stack, "supervisor"), timeout=10).status_code == 403
    verify = httpx.get(f"{stack.url('audit')}/v1/audit/verify", headers=auditor, timeout=10)
    assert verify.json()["intact"] is True


def test_reads_without_a_valid_token_role_scope_or_purpose_are_refused(stack: Stack):
    report_id, province = _classified_report(stack)
    before = len(read_topic(stack, topics.ACCESS))

    expired = stack.staff_token("supervisor", hours=-1)
    for headers, status, says in (
        (PURPOSE, 401, "a bearer token is required"),
        ({"Authorization": f"Bearer {expired}", **PURPOSE}, 401, "expired"),
        ({"Authorization": "Bearer abc.def.ghi", **PURPOSE}, 401, "not valid"),
        (_staff(stack, "analyst"), 403, "analyst role may not"),
        (_staff(stack, "auditor"), 403, "auditor role may not"),
        (_staff(stack, "clerk"), 403, "clerk role may not"),
    ):
        answer = _read(stack, report_id, headers)
        assert answer.status_code == status, (headers, answer.text)
        assert says in answer.json()["detail"]["reason"]

    elsewhere = _staff(stack, "investigator", provinces=["Xinjiang"], teams=["xj-1"])
    out_of_scope = _read(stack, report_id, elsewhere)
    unknown = _read(stack, "00000000-0000-0000-0000-000000000000", elsewhere)
    # Out of scope and nonexistent look the same: a token cannot probe for reports.
    assert out_of_scope.status_code == unknown.status_code == 403
    assert out_of_scope.json() == unknown.json()
    supervisor = _staff(stack, "supervisor")
    assert _read(stack, "00000000-0000-0000-0000-000000000000", supervisor).status_code == 404

    in_scope = {
        "Authorization": _staff(stack, "investigator", provinces=[province])["Authorization"]
    }
    no_purpose = _read(stack, report_id, in_scope)
    assert no_purpose.status_code == 422
    assert no_purpose.json()["detail"][0]["field"] == "X-Access-Purpose"
    assert len(read_topic(stack, topics.ACCESS)) == before  # nothing was read, nothing recorded


def test_a_token_issued_by_the_command_works_until_it_is_revoked(stack: Stack):
    report_id = _classified_report(stack)[0]
    keys_dir = Path(stack.secrets["TIPLINE_KEYRING_FILE"]).parent
    signing_key = {"TOKEN_PRIVATE_KEY_FILE": str(keys_dir / "token-signing.pem")}

    def tokens(*args: str) -> subprocess.CompletedProcess[str]:
        return _command(stack, "services.common.tokens", *args, extra_env=signing_key)

    issued = tokens("issue", "--subject", "sup-9", "--role", "supervisor", "--hours", "1")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    headers = {"Authorization": f"Bearer {token}", **PURPOSE}
    assert _read(stack, report_id, headers).status_code == 200
    listed = tokens("list").stdout
    assert "sup-9" in listed and token not in listed  # the register never keeps tokens

    assert tokens("revoke", "--subject", "sup-9").returncode == 0
    wait_until(lambda: _read(stack, report_id, headers).status_code == 401, 20, "revocation")
    assert "revoked" in _read(stack, report_id, headers).json()["detail"]["reason"]
    refused = tokens("issue", "--subject", "inv-1", "--role", "investigator")
    assert refused.returncode == 2 and "--province or --team" in refused.stderr


def test_the_installed_token_command_works_from_a_plain_shell_and_prints_only_the_token(
    stack: Stack, tmp_path: Path
):
    """`tipline-token`, pasted into a fresh shell (no virtual environment on PATH, any folder),
    issues an investigator's token that reads a report of their province."""
    report_id, province = _classified_report(stack)
    keys_dir = Path(stack.secrets["TIPLINE_KEYRING_FILE"]).parent
    plain = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    command = Path(sys.executable).parent / "tipline-token"
    scope = ["--role", "investigator", "--province", province, "--hours", "1"]
    issued = subprocess.run(
        [str(command), "issue", "--subject", "inv-7", *scope],
        cwd=tmp_path,
        env={
            **plain,
            "PATH": "/usr/bin:/bin",
            **stack.service_env(),
            "TOKEN_PRIVATE_KEY_FILE": str(keys_dir / "token-signing.pem"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert issued.returncode == 0, issued.stderr
    assert len(issued.stdout.splitlines()) == 1  # TOKEN=$(tipline-token issue ...) works
    assert "token id" in issued.stderr
    headers = {"Authorization": f"Bearer {issued.stdout.strip()}", **PURPOSE}
    assert _read(stack, report_id, headers).status_code == 200


def test_a_tampered_or_swapped_sealed_report_is_refused_not_shown(stack: Stack):
    first, second = _classified_report(stack)[0], _classified_report(stack)[0]
    reports = mongo_client(stack)["intake"]["reports"]
    originals = {r: reports.find_one({"_id": r}) for r in (first, second)}
    supervisor = _staff(stack, "supervisor")
    tampered = bytearray(originals[first]["sealed"]["content"])
    tampered[-1] ^= 1
    try:
        # Another report's ciphertext, then its wrapped key, then a flipped bit.
        for change in (
            {"sealed": originals[second]["sealed"]},
            {"data_key": originals[second]["data_key"]},
            {"sealed.content": bytes(tampered)},
        ):
            reports.update_one({"_id": first}, {"$set": change})
            answer = _read(stack, first, supervisor)
            assert answer.status_code == 500
            assert answer.json()["detail"]["error"] == "sealed_content_does_not_open"
            assert "采砂" not in answer.text
            reports.replace_one({"_id": first}, originals[first])
    finally:
        reports.replace_one({"_id": first}, originals[first])
    assert _read(stack, first, supervisor).json()["narrative"] == REPORT["narrative"]


def test_keys_rotate_without_touching_content_and_an_old_key_retires(stack: Stack):
    old_report = _classified_report(stack)[0]
    keyring_file = Path(stack.secrets["TIPLINE_KEYRING_FILE"])

    def keys(*args: str) -> subprocess.CompletedProcess[str]:
        return _command(stack, "services.common.keys", *args)

    old_id = json.loads(keyring_file.read_text())["active"]
    assert keys("add", "--file", str(keyring_file), "--key-id", "kek-new").returncode == 0
    _restart_key_holders(stack)  # they take the new active key; the old one still opens
    new_report = _classified_report(stack)[0]
    reports = mongo_client(stack)["intake"]["reports"]
    assert reports.find_one({"_id": new_report})["data_key"]["kid"] == "kek-new"
    sealed_before = reports.find_one({"_id": old_report})["sealed"]

    refused = keys("retire", "--file", str(keyring_file), "--key-id", old_id)
    assert refused.returncode == 1 and "run `rotate` first" in refused.stderr
    rotated = keys("rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-wrapped" in rotated.stdout
    assert reports.count_documents({"data_key.kid": old_id}) == 0
    assert reports.find_one({"_id": old_report})["sealed"] == sealed_before  # content untouched
    assert keys("retire", "--file", str(keyring_file), "--key-id", old_id).returncode == 0
    assert old_id not in json.loads(keyring_file.read_text())["keys"]

    _restart_key_holders(stack)  # now without the retired key
    supervisor = _staff(stack, "supervisor")
    for report_id in (old_report, new_report):
        answer = _read(stack, report_id, supervisor)
        assert answer.status_code == 200
        assert answer.json()["narrative"] == REPORT["narrative"]
        # The classifier's sealed details were re-wrapped too and open after the restart.
        details = httpx.get(
            f"{stack.url('classifier')}/v1/staff/reports/{report_id}/classification",
            headers=supervisor,
            timeout=10,
        )
        assert details.status_code == 200, details.text
    assert "classifier.classifications" in rotated.stdout
    assert "staff.console_accounts" in rotated.stdout  # the console's sealed TOTP secrets


def _command(
    stack: Stack, module: str, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """An operator's command, run as a process against this stack's servers and keys."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env={**os.environ, **stack.service_env(), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _restart_key_holders(stack: Stack) -> None:
    """What an operator does after changing the keyring: roll every service that holds it."""
    holders = ("intake", "classifier", "tracker")
    for name in holders:
        stack.processes[name].stop()
        stack.start_service(name)
    for name in holders:
        stack.wait_ready(name)


@pytest.fixture(scope="module")
def strict_tracker(start_stack: StartStack) -> Iterator[Stack]:
    """A tracker with production throttling (three free failures), on its own servers."""
    tuning = {"LOOKUP_FREE_FAILURES": "3", "LOOKUP_MAX_DELAY_SECONDS": "1"}
    with start_stack("throttle", only=["tracker"], tuning=tuning) as stack:
        yield stack


def test_guessing_codes_is_slowed_and_every_miss_looks_the_same(strict_tracker: Stack):
    stack = strict_tracker
    secret = stack.secrets["TRACKING_CODE_SECRET"].encode()
    code = tracking_code.generate()
    event = new_event(
        source="tests",
        type=SUBMITTED_V1,
        subject="report-throttle",
        data=ReportSubmitted(
            report_id="report-throttle",
            channel=Channel.WEB,
            submitted_at=utcnow(),
            tracking_code_hash=tracking_code.lookup_hash(
                tracking_code.normalize(code) or "", secret
            ),
        ),
    )
    produce(stack, topics.REPORT_SUBMITTED, event.to_bytes(), key=b"report-throttle")
    wait_for_stage(stack, code, "received")

    misses = [track(stack, tracking_code.generate()) for _ in range(6)]
    assert {m.status_code for m in misses} == {404}
    assert len({m.text for m in misses}) == 1  # the same answer every time
    assert metric(stack, "tracker", "tipline_lookup_throttled_total") >= 2
    # The reporter with the right code still gets in, after the same wait a guess would get.
    assert track(stack, code).status_code == 200
