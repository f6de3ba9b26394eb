"""Fault injection on the local stack, for the fault suite (tests/integration/test_faults.py)
and its figure in `make bench` (bench/faults.py).

A supervised stack (the processes as `make run` starts and restarts them) takes a stream of
reports over HTTP on 127.0.0.1 while one fault strikes: `kill -9` of a service, the broker or
the database, the database stopped for 10 s, or the broker stopped and started again empty.
Then every report that got its 201 is followed in the tracker's store until it is classified
or the time is up, and counted: classified once, lost (never classified), or doubled (more
than one classification or more than one case for its tracking code). Only processes of the
stack are signalled, by the pids it started them with.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient

from deploy.local.stack import POLLING_CLIENT, Stack, running_stack, wait_until
from deploy.local.supervisor import Supervisor, supervising
from services.common import tracking_code
from services.common.backoff import Backoff

REPORT = {
    "channel": "web",
    "narrative": "村霸强收保护费，不交就打人。The village bully extorts every shop on the street.",
    "location": {"province": "湖南", "city": "长沙"},
}
# Quick repairs, so a case ends within the suite's bound; otherwise the production settings.
TUNING = {
    **POLLING_CLIENT,
    "RECONCILE_AFTER_SECONDS": "15",
    "RECONCILE_EVERY_SECONDS": "2",
}
DATABASE_DOWN_SECONDS = 10.0


@dataclass(frozen=True)
class Tally:
    fault: str
    sent: int
    accepted: int
    classified: int
    lost: int
    doubled: int


@contextlib.contextmanager
def supervised_stack(
    log_dir: Path, tuning: Mapping[str, str] = TUNING, log: Callable[[str], None] | None = None
) -> Iterator[tuple[Stack, Supervisor]]:
    """The whole system with its database on disk, supervised; all of it stopped afterwards.
    The database acknowledges a write once its log is on disk, so a `kill -9` of it loses
    nothing it acknowledged (without that, it can: docs/recovery.md)."""
    with running_stack(
        log_dir, storage=log_dir / "mongodb", tuning=tuning, sync_on_commit=True
    ) as stack:
        supervisor = Supervisor(
            stack,
            stack.starters(),
            backoff=Backoff(first=0.5, most=4.0, jitter=0.0),
            log=log or (lambda line: None),
        )
        with supervising(supervisor):
            yield stack, supervisor


def _kill(name: str) -> Callable[[Stack, Supervisor], None]:
    def fault(stack: Stack, supervisor: Supervisor) -> None:
        os.kill(stack.processes[name].pid, signal.SIGKILL)

    return fault


def _database_down(stack: Stack, supervisor: Supervisor) -> None:
    """Stopped, held down for 10 s, then started again (on the same storage)."""
    supervisor.hold("mongodb")
    try:
        stack.processes["mongodb"].stop()
        time.sleep(DATABASE_DOWN_SECONDS)
    finally:
        supervisor.release("mongodb")


def _broker_restarted_empty(stack: Stack, supervisor: Supervisor) -> None:
    """Stopped the polite way and started again: memory storage, so it comes back empty."""
    stack.processes["kafka"].stop()


FAULTS: dict[str, Callable[[Stack, Supervisor], None]] = {
    "kill -9 classifier": _kill("classifier"),
    "kill -9 tracker": _kill("tracker"),
    "kill -9 intake": _kill("intake"),
    "kill -9 broker": _kill("kafka"),
    "kill -9 database": _kill("mongodb"),
    "database down 10 s": _database_down,
    "broker restarted empty": _broker_restarted_empty,
}


def stream(
    stack: Stack, count: int, per_second: float, fault: Callable[[], None], fault_after: int
) -> list[str]:
    """Sends `count` reports, `per_second`, one at a time from one client; strikes `fault`
    (in its own thread) after `fault_after` of them. The tracking codes of those answered 201."""
    accepted: list[str] = []
    striking: threading.Thread | None = None
    with httpx.Client(base_url=stack.url("intake"), timeout=15) as client:
        for sent in range(count):
            if sent == fault_after:
                striking = threading.Thread(target=fault, daemon=True)
                striking.start()
            started = time.monotonic()
            try:
                answer = client.post("/v1/reports", json=REPORT)
            except httpx.TransportError:
                answer = None  # intake away: not accepted, the client would try again
            if answer is not None and answer.status_code == 201:
                accepted.append(answer.json()["tracking_code"])
            time.sleep(max(0.0, 1 / per_second - (time.monotonic() - started)))
    if striking is not None:
        striking.join(DATABASE_DOWN_SECONDS + 30)
    return accepted


def _classifications(cases: list[dict[str, Any]]) -> int:
    return sum(1 for case in cases for entry in case["timeline"] if entry["stage"] == "classified")


def follow(stack: Stack, codes: list[str], timeout: float) -> tuple[int, int]:
    """Waits (up to `timeout`) for every code's case to be classified: (classified, doubled)."""
    secret = stack.secrets["TRACKING_CODE_SECRET"].encode()
    hashes = {tracking_code.lookup_hash(tracking_code.normalize(c) or "", secret) for c in codes}
    client: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_uri)
    try:
        cases = client["tracker"]["cases"]

        def found() -> list[dict[str, Any]]:
            return list(
                cases.find(
                    {"tracking_code_hash": {"$in": list(hashes)}},
                    {"tracking_code_hash": 1, "timeline.stage": 1},
                )
            )

        def all_classified() -> bool:
            try:
                done = [c for c in found() if _classifications([c]) >= 1]
            except Exception:  # the database itself may be coming back
                return False
            return len({c["tracking_code_hash"] for c in done}) == len(hashes)

        with contextlib.suppress(TimeoutError):
            wait_until(all_classified, timeout, "every accepted report classified", interval=0.5)
        time.sleep(2)  # a late repeat would show now
        final = found()
    finally:
        client.close()
    per_code: dict[str, list[dict[str, Any]]] = {}
    for case in final:
        per_code.setdefault(case["tracking_code_hash"], []).append(case)
    classified = sum(1 for c in per_code.values() if _classifications(c) >= 1)
    doubled = sum(1 for c in per_code.values() if len(c) > 1 or _classifications(c) > 1)
    return classified, doubled


def run_fault(
    stack: Stack,
    supervisor: Supervisor,
    name: str,
    count: int = 40,
    per_second: float = 10.0,
    timeout: float = 180.0,
) -> Tally:
    """One fault during one stream; the system is back and settled before this returns."""
    fault = FAULTS[name]
    accepted = stream(stack, count, per_second, lambda: fault(stack, supervisor), count // 3)
    classified, doubled = follow(stack, accepted, timeout)
    wait_for_everything_running(stack)
    return Tally(name, count, len(accepted), classified, len(accepted) - classified, doubled)


def down(stack: Stack) -> list[str]:
    """The names of the stack's processes that are not running now."""
    processes = list(stack.processes.items())  # the supervisor's thread may replace one
    return [name for name, process in processes if process.popen.poll() is not None]


def wait_for_everything_running(stack: Stack, timeout: float = 60.0) -> None:
    """A process may exit on purpose after a fault (the classifier exits 75 when it sees a new
    broker) and be started again by the supervisor only after its back-off: wait for that,
    so that what is still down at the end is a process that did not come back."""
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: not down(stack), timeout, "every process running", interval=0.25)
