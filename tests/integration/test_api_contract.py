"""The APIs keep the contract their OpenAPI states: schemathesis (pinned) generates requests
from each service's own /openapi.json and runs its checks on the real servers, with a bounded
number of examples per operation. A check left out is named in EXCLUDED with its reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from deploy.local.stack import Stack

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Where a check is relaxed for some operations, and why (read it before adding to it).
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 15
SEED = "18"
# Each service's requests carry a token of the role that reaches most of its staff routes, so
# the checks see more than 401s (and `ignored_auth` checks what happens without it).
ROLE = {"intake": "supervisor", "tracker": "supervisor", "audit": "auditor"}
EXCLUDED: dict[str, str] = {}


def run_schemathesis(stack: Stack, service: str) -> subprocess.CompletedProcess[str]:
    url = stack.url(service)
    token = stack.staff_token(ROLE[service], hours=2)
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--url",
        url,
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        SEED,
        "--phases",
        "examples,coverage,fuzzing",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Bearer {token}",
        "--no-color",
    ]
    if EXCLUDED:
        command += ["--exclude-checks", ",".join(EXCLUDED)]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.parametrize("service", ["intake", "tracker", "audit"])
def test_every_operation_keeps_the_contract_its_openapi_states(
    stack: Stack, service: str, all_classified_afterwards: None
) -> None:
    result = run_schemathesis(stack, service)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout


def test_times_given_as_numbers_are_refused_with_422_naming_the_field(stack: Stack) -> None:
    report = {"channel": "web", "narrative": "The port official takes cash.", "incident_time": 0}
    refused = httpx.post(f"{stack.url('intake')}/v1/reports", json=report, timeout=15)
    assert refused.status_code == 422
    assert [p["field"] for p in refused.json()["detail"]] == ["incident_time"]
    token = stack.staff_token("supervisor")
    as_of = httpx.get(
        f"{stack.url('tracker')}/v1/load",
        params={"as_of": "0.5"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert as_of.status_code == 422
    (problem,) = as_of.json()["detail"]
    assert problem["field"] == "query.as_of" and "ISO 8601" in problem["reason"]
