"""The local runner's supervisor: a process of the stack that dies is started again.

`make run` (deploy/local/stack.py) and the fault suite use it the same way. Each pass of
`check()` looks at every watched process, by the pid it was started with: one that has
exited is logged (a JSON line with its name, pid and exit code, never anything it handled)
and started again after a back-off delay that doubles with each quick death (0.5 s up to 30 s;
a process that ran for a minute starts again from the first delay). The embedded broker is
started again on the same port with a new cluster id, so the services' outboxes can tell it
has lost what it held (services/common/outbox.py). Stopping is left to `Stack.stop`, which
stops exactly the processes in `stack.processes`, the restarted ones included.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from services.common.backoff import Backoff

if TYPE_CHECKING:
    from deploy.local.stack import Process, Stack

RESTART_BACKOFF = Backoff(first=0.5, most=30.0, jitter=0.0)
# A process that lived this long was not dying at start: its next death waits the least.
HEALTHY_AFTER_SECONDS = 60.0


def json_line(message: str, **fields: Any) -> str:
    return json.dumps(
        {
            "time": datetime.now(UTC).isoformat(),
            "level": "warning",
            "service": "runner",
            "message": message,
            **fields,
        }
    )


def print_line(line: str) -> None:
    print(line, file=sys.stdout, flush=True)


@dataclass
class _Watch:
    started_at: float
    failures: int = 0
    due: float | None = None  # while down: when it is started again


@dataclass
class Supervisor:
    """Restarts the named processes of `stack` when they die. `starters` start one again (on
    the same port, with the same settings) and return it; `stack.processes` is updated."""

    stack: Stack
    starters: dict[str, Callable[[], Process]]
    backoff: Backoff = RESTART_BACKOFF
    healthy_after: float = HEALTHY_AFTER_SECONDS
    log: Callable[[str], None] = print_line
    clock: Callable[[], float] = time.monotonic
    restarts: dict[str, int] = field(default_factory=dict)
    _watches: dict[str, _Watch] = field(default_factory=dict)
    _held: set[str] = field(default_factory=set)

    def hold(self, name: str) -> None:
        """Leaves `name` down if it dies, until `release` (an outage on purpose)."""
        self._held.add(name)

    def release(self, name: str) -> None:
        self._held.discard(name)

    def check(self) -> None:
        """One look at every watched process; starts the ones that are due."""
        now = self.clock()
        for name, start in self.starters.items():
            if name in self._held:
                continue
            process = self.stack.processes.get(name)
            watch = self._watches.setdefault(name, _Watch(started_at=now))
            if watch.due is None:
                if process is None or process.popen.poll() is None:
                    continue
                self._schedule(name, watch, now, process)
            elif now >= watch.due:
                self._start(name, start, watch)

    def _schedule(self, name: str, watch: _Watch, now: float, process: Process) -> None:
        if now - watch.started_at >= self.healthy_after:
            watch.failures = 0
        watch.failures += 1
        delay = self.backoff.delays()(watch.failures)
        watch.due = now + delay
        self.log(
            json_line(
                "process exited; restarting",
                process=name,
                pid=process.pid,
                exit_code=process.popen.returncode,
                attempt=watch.failures,
                restart_in_seconds=delay,
            )
        )

    def _start(self, name: str, start: Callable[[], Process], watch: _Watch) -> None:
        try:
            process = start()
        except (OSError, RuntimeError, TimeoutError) as exc:
            watch.failures += 1
            delay = self.backoff.delays()(watch.failures)
            watch.due = self.clock() + delay
            self.log(
                json_line(
                    "restart failed; retrying",
                    process=name,
                    error=type(exc).__name__,
                    attempt=watch.failures,
                    restart_in_seconds=delay,
                )
            )
            return
        self.stack.processes[name] = process
        watch.started_at, watch.due = self.clock(), None
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self.log(json_line("process restarted", process=name, pid=process.pid))

    def run(self, stopping: threading.Event, interval: float = 0.25) -> None:
        while not stopping.is_set():
            self.check()
            stopping.wait(interval)


@contextmanager
def supervising(supervisor: Supervisor) -> Iterator[Supervisor]:
    """Runs `supervisor` in a thread for the block (tests; `make run` calls `check` itself).
    On the way out it stops watching before anything is stopped."""
    stopping = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stopping,), daemon=True)
    thread.start()
    try:
        yield supervisor
    finally:
        stopping.set()
        thread.join(120)
