"""`make bench-database` (also in `make bench`): database commands and database CPU per report.

Each phase starts its own stack on free loopback ports, submits reports at a steady rate and
measures the one SecantusDB process all services share:

- commands: `serverStatus` opcounters read at the start and the end of the phase (every
  command counted once, whatever it carries: a bulk write of 50 updates is one command);
- by service: `top`'s per-namespace counts, read with the opcounters and summed per database
  (intake, classifier, tracker, audit; a service owns its database). Commands that name no
  collection (hello, ping, endSessions) belong to no database and are shown on their own;
- where the time goes: `top`'s per-namespace time (microseconds inside the server per command,
  wall time, so a command waiting for the server's GIL counts its wait) per report, by
  collection and kind, the costliest first, beside the counts;
- the idle rate is taken out: the same counters over an idle interval first (the stack up and
  warmed, nothing submitted), times the phase's length. The meter's own reads (serverStatus,
  top) are taken out exactly;
- CPU: utime + stime of the database process (/proc/<pid>/stat), the phase's delta per
  report; shown raw (the target is checked on it) and with the idle CPU taken out.

The phase ends when the database is quiet again (its command rate back to idle for a while):
no report is followed during the phase, so the bench's own status reads are not counted.
After the end, each report is checked once on the tracker (outside the measured window).

Phases: "intake alone" (intake on its database, its relay publishing, nobody consuming) and
"whole pipeline" (all four services). A miss against a target is reported, never a failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import MongoClient

from bench.load import _post, cpu_seconds, make_bodies, wait_until_classified
from deploy.local.stack import Stack, running_stack

RESULTS = Path(__file__).with_name("database-results.json")

TARGET_COMMANDS_PER_REPORT = 4.0
TARGET_CPU_MS_PER_REPORT = 15.0
SERVICES = ("intake", "classifier", "tracker", "audit")
NO_COLLECTION = "(no collection: hello, ping, ...)"
# The meter's reads between two full samples: the start's `top` and the end's serverStatus
# (a serverStatus counts itself before it answers; `top` and serverStatus name no collection).
OWN_COMMANDS_PER_WINDOW = 2


@dataclass
class Sample:
    at: float
    ops: dict[str, int]
    by_database: dict[str, int]
    by_namespace: dict[str, int]  # "db.collection section" -> count (find, update, ...)
    cpu_s: float
    namespace_us: dict[str, int] = field(default_factory=dict)  # same keys -> server time, µs


@dataclass
class Window:
    """Counter deltas over one interval, with the meter's own commands taken out."""

    seconds: float
    ops: Counter[str] = field(default_factory=Counter)
    by_database: Counter[str] = field(default_factory=Counter)
    by_namespace: Counter[str] = field(default_factory=Counter)
    cpu_s: float = 0.0
    namespace_us: Counter[str] = field(default_factory=Counter)

    @property
    def commands(self) -> int:
        return sum(self.ops.values())


class DatabaseMeter:
    def __init__(self, mongodb_uri: str, pid: int) -> None:
        self.client: MongoClient[dict[str, Any]] = MongoClient(
            mongodb_uri, serverSelectionTimeoutMS=5000, directConnection=True
        )
        self.pid = pid
        self.quiet_reads = 0  # serverStatus reads while waiting for quiet, taken out too

    def close(self) -> None:
        self.client.close()

    def opcounters(self) -> dict[str, int]:
        status = self.client.admin.command("serverStatus")
        return {k: int(v) for k, v in status["opcounters"].items()}

    def sample(self) -> Sample:
        ops = self.opcounters()
        totals = self.client.admin.command("top")["totals"]
        by_database: Counter[str] = Counter()
        by_namespace: Counter[str] = Counter()
        namespace_us: Counter[str] = Counter()
        for namespace, sections in totals.items():
            if namespace == "note":
                continue
            by_database[namespace.split(".", 1)[0]] += int(sections["total"]["count"])
            for section in ("queries", "getmore", "insert", "update", "remove", "commands"):
                by_namespace[f"{namespace} {section}"] += int(sections[section]["count"])
                namespace_us[f"{namespace} {section}"] += int(sections[section].get("time", 0))
        cpu = cpu_seconds(self.pid)
        if cpu is None:
            raise RuntimeError(f"no /proc/{self.pid}/stat for the database process")
        return Sample(
            time.perf_counter(), ops, dict(by_database), dict(by_namespace), cpu, dict(namespace_us)
        )

    def window(self, start: Sample, end: Sample, extra_reads: int = 0) -> Window:
        ops = Counter({k: end.ops[k] - start.ops.get(k, 0) for k in end.ops})
        ops["command"] -= OWN_COMMANDS_PER_WINDOW + extra_reads
        named = Counter(
            {db: end.by_database[db] - start.by_database.get(db, 0) for db in end.by_database}
        )
        named[NO_COLLECTION] = sum(ops.values()) - sum(named.values())
        spaces = Counter(
            {ns: end.by_namespace[ns] - start.by_namespace.get(ns, 0) for ns in end.by_namespace}
        )
        micros = Counter(
            {ns: end.namespace_us[ns] - start.namespace_us.get(ns, 0) for ns in end.namespace_us}
        )
        return Window(end.at - start.at, ops, named, spaces, end.cpu_s - start.cpu_s, micros)

    def idle(self, seconds: float) -> Window:
        start = self.sample()
        time.sleep(seconds)
        return self.window(start, self.sample())

    def wait_for_quiet(
        self, idle: Window, *, step_s: float = 0.5, quiet_steps: int = 4, limit_s: float = 120
    ) -> None:
        """Until the command rate has been near idle for `quiet_steps` steps in a row."""
        idle_per_step = sum(idle.ops.values()) / idle.seconds * step_s
        allowed = idle_per_step * 1.5 + 3
        quiet, deadline = 0, time.perf_counter() + limit_s
        last = sum(self.opcounters().values())
        self.quiet_reads += 1
        while quiet < quiet_steps and time.perf_counter() < deadline:
            time.sleep(step_s)
            now = sum(self.opcounters().values())
            self.quiet_reads += 1
            quiet = quiet + 1 if now - last - 1 <= allowed else 0
            last = now


def per_report(phase: Window, idle: Window, reports: int) -> dict[str, Any]:
    """The phase's counts per report, the idle rate over the phase's length taken out."""
    scale = phase.seconds / idle.seconds if idle.seconds > 0 else 0.0

    def net(value: float, idle_value: float) -> float:
        return (value - idle_value * scale) / reports if reports else 0.0

    buckets = {k: net(phase.ops[k], idle.ops[k]) for k in sorted(set(phase.ops) | set(idle.ops))}
    databases = {
        db: net(phase.by_database[db], idle.by_database[db])
        for db in sorted(set(phase.by_database) | set(idle.by_database))
    }
    namespaces = {
        ns: net(phase.by_namespace[ns], idle.by_namespace[ns])
        for ns in sorted(set(phase.by_namespace) | set(idle.by_namespace))
    }
    namespace_ms = {
        ns: net(phase.namespace_us[ns], idle.namespace_us[ns]) / 1000
        for ns in sorted(set(phase.namespace_us) | set(idle.namespace_us))
    }
    return {
        "reports": reports,
        "phase_s": phase.seconds,
        "idle_s": idle.seconds,
        "idle_commands_per_s": idle.commands / idle.seconds if idle.seconds else None,
        "commands_per_report": net(phase.commands, idle.commands),
        "by_bucket": buckets,
        "by_database": databases,
        "by_collection": {ns: v for ns, v in namespaces.items() if abs(v) >= 0.005},
        "ms_by_collection": {ns: v for ns, v in namespace_ms.items() if abs(v) >= 0.005},
        "cpu_ms_per_report": phase.cpu_s / reports * 1000 if reports else None,
        "cpu_ms_per_report_idle_out": net(phase.cpu_s, idle.cpu_s) * 1000,
        "idle_cpu_cores": idle.cpu_s / idle.seconds if idle.seconds else None,
    }


async def paced_submit(url: str, bodies: list[bytes], rate_per_s: float) -> list[str]:
    """Submits the bodies at a steady rate; the tracking codes of those accepted (201)."""
    codes: list[str] = []
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(body: bytes) -> None:
            try:
                status, answer = await _post(session, f"{url}/v1/reports", body, False)
            except (aiohttp.ClientError, TimeoutError):
                return
            if status == 201 and answer is not None:
                codes.append(answer["tracking_code"])

        started, tasks = time.perf_counter(), []
        for index, body in enumerate(bodies):
            delay = started + index / rate_per_s - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return codes


def measure_phase(
    name: str, stack: Stack, args: argparse.Namespace, bodies: list[bytes], warmup: list[bytes]
) -> dict[str, Any]:
    intake = stack.url("intake")
    pipeline = "tracker" in stack.processes
    print(f"{name}: warming up ({len(warmup)} reports)…", flush=True)
    warm = asyncio.run(paced_submit(intake, warmup, args.rate))
    if pipeline:
        asyncio.run(wait_until_classified(stack.url("tracker"), warm, time_limit_s=60))
    meter = DatabaseMeter(stack.mongodb_uri, stack.processes["mongodb"].pid)
    try:
        time.sleep(2)  # the last warm-up marks and sweeps
        print(f"{name}: idle for {args.idle_seconds:.0f} s…", flush=True)
        idle = meter.idle(args.idle_seconds)
        print(f"{name}: {len(bodies)} reports at {args.rate:.0f}/s…", flush=True)
        start = meter.sample()
        codes = asyncio.run(paced_submit(intake, bodies, args.rate))
        meter.wait_for_quiet(idle)
        phase = meter.window(start, meter.sample(), meter.quiet_reads)
    finally:
        meter.close()
    result = per_report(phase, idle, len(codes))
    result["submitted"] = len(bodies)
    if pipeline:
        drained = asyncio.run(wait_until_classified(stack.url("tracker"), codes, time_limit_s=60))
        result["classified"] = drained.classified
    return result


def report(results: dict[str, Any]) -> str:
    out = ["Database work per report (SecantusDB, every service on one server):"]
    for name, phase in results["phases"].items():
        out.append(
            f"  {name}: {phase['reports']}/{phase['submitted']} accepted"
            + (f", {phase['classified']} classified" if "classified" in phase else "")
            + f"; phase {phase['phase_s']:.1f} s, idle measured {phase['idle_s']:.0f} s "
            f"({phase['idle_commands_per_s']:.1f} commands/s idle, taken out)"
        )
        total = phase["commands_per_report"]
        verdict = "PASS" if total <= TARGET_COMMANDS_PER_REPORT else "MISS"
        out.append(
            f"    commands/report: {total:.2f}   target <= {TARGET_COMMANDS_PER_REPORT:.0f}"
            f" (whole pipeline)   {verdict if 'classified' in phase else '(intake only)'}"
        )
        out.append(
            "      by kind: "
            + ", ".join(f"{k} {v:.2f}" for k, v in phase["by_bucket"].items() if abs(v) >= 0.005)
        )
        out.append(
            "      by database (top): "
            + ", ".join(
                f"{db} {v:.2f}" for db, v in phase["by_database"].items() if abs(v) >= 0.005
            )
        )
        busiest = sorted(phase["by_collection"].items(), key=lambda item: -item[1])
        out.append(
            "      by collection and kind: "
            + ", ".join(f"{ns} {v:.2f}" for ns, v in busiest if v >= 0.05)
        )
        costly = sorted(phase["ms_by_collection"].items(), key=lambda item: -item[1])[:8]
        out.append(
            "      server time by collection and kind (ms/report, commands/report, ms/command): "
            + ", ".join(
                f"{ns} {v:.1f} ms ({count:.2f}, {v / count if count > 0 else 0.0:.0f} ms)"
                for ns, v in costly
                if v >= 0.05
                for count in [phase["by_collection"].get(ns, 0.0)]
            )
        )
        out.append(
            f"      server time in named collections: "
            f"{sum(phase['ms_by_collection'].values()):.1f} ms/report (top's time: wall time "
            "inside the server per command, so it includes waits for the GIL and the disk)"
        )
        cpu = phase["cpu_ms_per_report"]
        verdict = "PASS" if cpu is not None and cpu <= TARGET_CPU_MS_PER_REPORT else "MISS"
        out.append(
            f"    database CPU/report: {cpu:.1f} ms (idle out: "
            f"{phase['cpu_ms_per_report_idle_out']:.1f} ms)   target <= "
            f"{TARGET_CPU_MS_PER_REPORT:.0f} ms   "
            f"{verdict if 'classified' in phase else '(intake only)'}"
        )
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=300, help="measured reports per phase")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured reports first")
    parser.add_argument("--rate", type=float, default=50.0, help="reports per second")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--phases", choices=("all", "intake", "pipeline"), default="all")
    parser.add_argument("--seed", type=int, default=20260404)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not (1 <= args.reports <= 5000 and 0 <= args.warmup <= 5000):
        parser.error("--reports must be 1..5000 and --warmup 0..5000")
    if not (0 < args.rate <= 500 and 1 <= args.idle_seconds <= 120):
        parser.error("--rate must be 0..500 and --idle-seconds 1..120")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bodies = make_bodies(args.reports, args.seed, "varied")
    warmup = make_bodies(args.warmup, args.seed + 1, "varied")
    log_dir = Path(tempfile.mkdtemp(prefix="tipline-bench-db-"))
    results: dict[str, Any] = {"parameters": vars(args) | {"output": str(args.output)}}
    results["phases"] = {}
    try:
        if args.phases in ("all", "intake"):
            with running_stack(log_dir / "intake", services=False) as stack:
                stack.start_service("intake")
                stack.wait_ready("intake")
                results["phases"]["intake alone"] = measure_phase(
                    "intake alone", stack, args, bodies, warmup
                )
        if args.phases in ("all", "pipeline"):
            with running_stack(log_dir / "pipeline") as stack:
                results["phases"]["whole pipeline"] = measure_phase(
                    "whole pipeline", stack, args, bodies, warmup
                )
    except (TimeoutError, RuntimeError) as exc:
        print(f"\nBenchmark failed: {exc}; logs in {log_dir}", file=sys.stderr)
        return 1
    print()
    print(report(results))
    args.output.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
