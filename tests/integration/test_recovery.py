"""Recovery on real servers: services wait for what they need, and the local runner's
supervisor starts a dead process again (the same pieces `make run` uses)."""

from __future__ import annotations

import json
import signal

from deploy.local.stack import start_kafka
from tests.integration.helpers import StartStack, wait_until


def waiting_lines(log: str, what: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("waiting_for") == what]


def test_a_classifier_started_before_its_broker_waits_and_then_runs(start_stack: StartStack):
    with start_stack("broker-late", only=[]) as stack:
        stack.processes["kafka"].stop()
        classifier = stack.start_service("classifier")
        wait_until(
            lambda: len(waiting_lines(classifier.log_text(), "kafka")) >= 2,
            60,
            "the classifier retrying the broker",
        )
        assert classifier.popen.poll() is None, classifier.log_text()[-2000:]
        stack.processes["kafka"] = start_kafka(stack.ports["kafka"], stack.log_dir)
        stack.wait_ready("classifier", timeout=120)
        assert "Unable to bootstrap" not in classifier.log_text()


def test_intake_started_before_its_database_waits_and_then_answers(start_stack: StartStack):
    with start_stack("database-late", only=[]) as stack:
        database = stack.processes["mongodb"]
        database.popen.send_signal(signal.SIGKILL)
        database.popen.wait(10)
        intake = stack.start_service("intake")
        wait_until(
            lambda: waiting_lines(intake.log_text(), "mongodb"), 60, "intake retrying mongodb"
        )
        assert intake.popen.poll() is None, intake.log_text()[-2000:]
        restart = stack.starters()["mongodb"]
        stack.processes["mongodb"] = restart()
        stack.wait_ready("intake", timeout=120)
