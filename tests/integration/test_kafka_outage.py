"""Reports keep coming in while Kafka is unreachable, and nothing is lost when it returns."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from deploy.local.stack import Stack
from tests.integration.helpers import (
    StartStack,
    mongo_client,
    submit,
    track,
    wait_for_stage,
    wait_until,
)


@pytest.fixture(scope="module")
def proxied_stack(start_stack: StartStack) -> Iterator[Stack]:
    # Its own system: the broker sits behind a proxy that the test cuts and restores.
    with start_stack("outage", with_proxy=True) as stack:
        yield stack


def test_a_report_submitted_while_kafka_is_down_arrives_once_kafka_is_back(proxied_stack: Stack):
    stack = proxied_stack
    before = submit(stack).json()["tracking_code"]
    wait_for_stage(stack, before, "classified")

    stack.cut_kafka()
    try:
        answers = [submit(stack) for _ in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 201]
        codes = [a.json()["tracking_code"] for a in answers]
        reports = mongo_client(stack)["intake"]["reports"]
        assert reports.count_documents({"outbox_pending": True}) == 3
        ready = httpx.get(f"{stack.url('intake')}/readyz", timeout=10)
        assert ready.status_code == 200  # intake keeps taking reports
        wait_until(
            lambda: (
                httpx.get(f"{stack.url('intake')}/readyz", timeout=10).json()["status"]
                == "degraded"
            ),
            20,
            "intake reporting Kafka as unreachable",
        )
        time.sleep(2)
        assert all(track(stack, code).status_code == 404 for code in codes)
    finally:
        stack.restore_kafka()

    for code in codes:
        status = wait_for_stage(stack, code, "assigned", timeout=90)
        assert [s["stage"] for s in status["history"]] == [
            "submitted",
            "received",
            "classified",
            "assigned",
        ]
    wait_until(lambda: reports.count_documents({"outbox_pending": True}) == 0, 20, "outbox drained")
    for service in ("intake", "classifier", "tracker", "audit"):
        wait_until(
            lambda s=service: (
                httpx.get(f"{stack.url(s)}/readyz", timeout=10).json()["status"] == "ready"
            ),
            60,
            f"{service} ready again",
        )
