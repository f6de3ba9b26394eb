"""While the MongoDB-protocol server is down, intake and the tracker answer as an outage: 503
with Retry-After, as JSON for the API and as the reporter's page for the site, and readiness
turns false; once it is back, both recover by themselves. On a real SecantusDB process that
the test stops and starts again (by the pid it started)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.local.stack import Stack, start_mongodb
from services.common import tracking_code
from tests.integration.helpers import REPORT, StartStack, submit, wait_for_stage, wait_until

STORAGE: dict[str, Path] = {}  # where the module's database keeps its files


@pytest.fixture(scope="module")
def outage(start_stack: StartStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Intake and the tracker on a database with its files on disk, stopped for the tests."""
    storage = Path(tmp_path_factory.mktemp("outage-db"))
    STORAGE["path"] = storage
    with start_stack("outage", only=["intake", "tracker"], storage=storage) as stack:
        answer = submit(stack)
        assert answer.status_code == 201
        code = answer.json()["tracking_code"]
        wait_for_stage(stack, code, "received")
        stack.processes["mongodb"].stop()
        try:
            yield stack
        finally:
            if stack.processes["mongodb"].popen.poll() is not None:
                stack.processes["mongodb"] = start_mongodb(
                    stack.ports["mongodb"], stack.log_dir, storage
                )


def test_a_report_sent_during_the_outage_gets_503_with_retry_after_as_json(outage: Stack):
    answer = submit(outage)
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/json"
    assert int(answer.headers["retry-after"]) > 0
    detail = answer.json()["detail"]
    assert detail["error"] == "database_unavailable" and "retry after" in detail["reason"]


@pytest.mark.parametrize(
    ("lang", "wording"), [("en", "Temporarily unavailable"), ("zh", "暂时无法服务")]
)
def test_the_web_form_answers_the_outage_with_the_reporters_page(
    outage: Stack, lang: str, wording: str
):
    answer = httpx.post(
        f"{outage.url('intake')}/report",
        data={"narrative": REPORT["narrative"], "lang": lang},
        timeout=15,
    )
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert int(answer.headers["retry-after"]) > 0
    assert wording in answer.text


def test_the_tracker_answers_a_lookup_with_503_and_both_are_not_ready(outage: Stack):
    answer = httpx.get(f"{outage.url('tracker')}/v1/track/{tracking_code.generate()}", timeout=15)
    assert answer.status_code == 503 and int(answer.headers["retry-after"]) > 0
    for service in ("intake", "tracker"):
        ready = httpx.get(f"{outage.url(service)}/readyz", timeout=15)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] is False


def test_both_recover_by_themselves_once_the_database_is_back(outage: Stack):
    outage.processes["mongodb"] = start_mongodb(
        outage.ports["mongodb"], outage.log_dir, STORAGE["path"]
    )

    def accepted() -> bool:
        return submit(outage).status_code == 201

    wait_until(accepted, 30, "intake accepting reports again")
    for service in ("intake", "tracker"):
        wait_until(
            lambda s=service: httpx.get(f"{outage.url(s)}/readyz", timeout=15).status_code == 200,
            30,
            f"{service} ready again",
        )
