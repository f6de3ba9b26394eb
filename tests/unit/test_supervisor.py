"""The local runner's supervisor, on fake processes and a fake clock: who is restarted, when,
and what is logged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.local.stack import Process, Stack
from deploy.local.supervisor import Supervisor
from services.common.backoff import Backoff


@dataclass
class FakePopen:
    pid: int
    returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    stack: Stack
    clock: Clock
    lines: list[dict[str, Any]]
    next_pid: list[int] = field(default_factory=lambda: [100])
    failing_starts: list[str] = field(default_factory=list)

    def start(self, name: str) -> Process:
        if name in self.failing_starts:
            self.failing_starts.remove(name)
            raise TimeoutError(f"{name} was not ready")
        self.next_pid[0] += 1
        return Process(name, FakePopen(self.next_pid[0]), Path("/dev/null"))  # type: ignore[arg-type]


def world() -> tuple[World, Supervisor]:
    stack = Stack(ports={}, log_dir=Path("/tmp"), secrets={})
    w = World(stack, Clock(), [])
    for name in ("kafka", "classifier"):
        stack.processes[name] = w.start(name)
    supervisor = Supervisor(
        stack,
        {name: (lambda name=name: w.start(name)) for name in ("kafka", "classifier")},
        backoff=Backoff(first=1.0, most=4.0, jitter=0.0),
        healthy_after=60.0,
        log=lambda line: w.lines.append(json.loads(line)),
        clock=w.clock,
    )
    return w, supervisor


def kill(w: World, name: str) -> int:
    popen = w.stack.processes[name].popen
    popen.returncode = -9  # type: ignore[misc]
    return popen.pid


def test_a_dead_process_is_logged_and_started_again_after_its_delay():
    w, supervisor = world()
    supervisor.check()
    assert w.lines == []
    pid = kill(w, "classifier")
    supervisor.check()
    assert w.lines == [
        {
            "time": w.lines[0]["time"],
            "level": "warning",
            "service": "runner",
            "message": "process exited; restarting",
            "process": "classifier",
            "pid": pid,
            "exit_code": -9,
            "attempt": 1,
            "restart_in_seconds": 1.0,
        }
    ]
    w.clock.now = 0.5
    supervisor.check()
    assert w.stack.processes["classifier"].pid == pid  # not yet: its delay is 1 s
    w.clock.now = 1.0
    supervisor.check()
    assert w.stack.processes["classifier"].pid != pid
    assert w.lines[-1]["message"] == "process restarted"
    assert w.lines[-1]["pid"] == w.stack.processes["classifier"].pid
    assert supervisor.restarts == {"classifier": 1}
    assert w.stack.processes["kafka"].popen.poll() is None  # the others untouched


def test_quick_deaths_wait_longer_up_to_the_bound_and_a_healthy_run_resets_it():
    w, supervisor = world()
    delays = []
    for _ in range(4):
        kill(w, "kafka")
        supervisor.check()
        delays.append(w.lines[-1]["restart_in_seconds"])
        w.clock.now += delays[-1]
        supervisor.check()
    assert delays == [1.0, 2.0, 4.0, 4.0]
    w.clock.now += 61  # ran for a minute
    kill(w, "kafka")
    supervisor.check()
    assert w.lines[-1]["restart_in_seconds"] == 1.0


def test_a_start_that_fails_is_tried_again_later():
    w, supervisor = world()
    w.failing_starts.append("kafka")
    kill(w, "kafka")
    supervisor.check()
    w.clock.now = 1.0
    supervisor.check()
    assert w.lines[-1]["message"] == "restart failed; retrying"
    assert w.lines[-1]["error"] == "TimeoutError"
    w.clock.now += w.lines[-1]["restart_in_seconds"]
    supervisor.check()
    assert w.lines[-1]["message"] == "process restarted"
    assert w.stack.processes["kafka"].popen.poll() is None
