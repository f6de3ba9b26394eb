"""Recovery on real servers: services wait for what they need, and the local runner's
supervisor starts a dead process again (the same pieces `make run` uses)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from deploy.local.stack import (
    POLLING_CLIENT,
    PORT_VARIABLES,
    REPO,
    free_ports,
    http_ok,
    start_kafka,
)
from services.common.kafka import cluster_id
from tests.integration.helpers import (
    StartStack,
    metric,
    mongo_client,
    report_id_of,
    submit,
    wait_for_stage,
    wait_until,
)


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


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _runner_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]


def test_make_run_restarts_a_killed_service_and_ctrl_c_stops_all_it_started(tmp_path: Path):
    ports = dict(zip(PORT_VARIABLES.values(), free_ports(len(PORT_VARIABLES)), strict=True))
    out = tmp_path / "runner.out"
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "TIPLINE_RUN_DIR": str(tmp_path / "run"),
    }
    seen: dict[int, str] = {}  # pid -> command line, so a reused pid is never touched
    with out.open("wb") as sink:
        runner = subprocess.Popen(
            [sys.executable, "-m", "deploy.local.stack"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
    try:
        wait_until(lambda: "Press Ctrl-C" in out.read_text(), 180, "make run started")
        started = {_command_of(pid): pid for pid in _children(runner.pid)}
        seen.update({pid: command for command, pid in started.items()})
        classifier = next(
            pid for command, pid in started.items() if "services.classifier" in command
        )
        os.kill(classifier, signal.SIGKILL)

        def restarted() -> bool:
            return any(
                line["message"] == "process restarted" and line["process"] == "classifier"
                for line in _runner_lines(out)
            )

        wait_until(restarted, 60, "the classifier started again")
        (exited,) = [
            line for line in _runner_lines(out) if line["message"].startswith("process exited")
        ]
        assert (exited["process"], exited["pid"], exited["exit_code"]) == (
            "classifier",
            classifier,
            -9,
        )
        assert runner.poll() is None  # the rest of the system kept running
        now = set(_children(runner.pid))
        seen.update({pid: _command_of(pid) for pid in now})
        assert len(now) == len(started) and classifier not in now
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{ports['CLASSIFIER_PORT']}/readyz"),
            120,
            "the restarted classifier ready",
        )
        runner.send_signal(signal.SIGINT)
        runner.wait(90)
        assert "Stopped." in out.read_text()
        assert [pid for pid in seen if _alive(pid)] == []
    finally:
        if runner.poll() is None:
            runner.send_signal(signal.SIGINT)
            try:
                runner.wait(60)
            except subprocess.TimeoutExpired:
                runner.kill()
        for pid, command in seen.items():  # only what this runner started
            if _alive(pid) and _command_of(pid) == command:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def test_a_report_whose_event_was_lost_after_publishing_is_published_again(
    start_stack: StartStack,
):
    """The reconciliation: intake hears neither the case opening nor the classification for a
    report the outbox counts as published (its event lost on the way), and publishes it again.
    It then ends classified once, and its case opened once."""
    tuning = {**POLLING_CLIENT, "RECONCILE_AFTER_SECONDS": "4", "RECONCILE_EVERY_SECONDS": "1"}
    with start_stack("reconcile", with_proxy=True, tuning=tuning) as stack:
        broker = asyncio.run(_cluster_id(stack.kafka_bootstrap))
        stack.cut_kafka()
        try:
            answer = submit(stack)
            assert answer.status_code == 201
            code = answer.json()["tracking_code"]
            report_id = report_id_of(stack, code)
            wait_until(
                lambda: metric(stack, "intake", "tipline_outbox_publish_failures_total") >= 1,
                60,
                "the at-once publication given up",
            )
            reports = mongo_client(stack)["intake"]["reports"]
            # As if published to this broker, and then lost before anyone read it.
            reports.update_one(
                {"_id": report_id},
                {
                    "$set": {"outbox_published": 1, "outbox_broker": broker},
                    "$unset": {"outbox_pending": ""},
                },
            )
        finally:
            stack.restore_kafka()
        status = wait_for_stage(stack, code, "classified", timeout=120)
        assert metric(stack, "intake", "tipline_reconcile_republished_total") >= 1
        assert [s["stage"] for s in status["history"]][:3] == [
            "submitted",
            "received",
            "classified",
        ]
        wait_until(
            lambda: (
                set((reports.find_one({"_id": report_id}) or {}).get("progress", {}))
                >= {"opened_at", "classified_at"}
            ),
            30,
            "intake hearing back for the report",
        )
        case = mongo_client(stack)["tracker"]["cases"].find_one({"_id": report_id})
        assert case is not None
        assert [e["stage"] for e in case["timeline"]].count("classified") == 1
        classified = mongo_client(stack)["classifier"]["classifications"]
        assert classified.count_documents({"_id": report_id}) == 1


async def _cluster_id(bootstrap: str) -> str:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        return await cluster_id(producer)
    finally:
        await producer.stop()
