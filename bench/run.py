"""`make bench`: intake throughput against two baselines, and end-to-end latency.

Starts its own stack (Tansu, SecantusDB and the four services) on free loopback ports with
`running_stack`, runs each baseline as its own subprocess, and stops everything it started by
pid, on success, failure or Ctrl-C. Prints a table and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pymongo import MongoClient

from bench import classifier as classifier_bench
from bench.baselines import NAIVE_DATABASE
from bench.load import (
    EndToEnd,
    Throughput,
    closed_loop,
    cpu_seconds,
    make_bodies,
    steady_end_to_end,
    wait_until_classified,
)
from deploy.local.stack import Process, Stack, free_port, http_ok, running_stack, spawn, wait_until

RESULTS = Path(__file__).with_name("results.json")
T = TypeVar("T")

# Targets shown beside the figures; a miss is reported, never a failed run.
TARGET_INTAKE_OVER_NAIVE = 1.0
TARGET_E2E_P99_S = 1.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000, help="reports per throughput run")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured reports first")
    parser.add_argument("--e2e-rate", type=float, default=50.0, help="reports per second")
    parser.add_argument("--e2e-seconds", type=float, default=20.0, help="how long to submit")
    parser.add_argument(
        "--e2e-warmup-seconds",
        type=float,
        default=5.0,
        help="the same steady load first, unmeasured (consumers join, caches warm)",
    )
    # Every poll is a database read: at 50 ms the polling alone saturated SecantusDB.
    parser.add_argument("--poll-interval", type=float, default=0.1, help="tracker poll, s")
    parser.add_argument("--poll-bound", type=float, default=30.0, help="give up a report after")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=45.0,
        help="how long to wait for the pipeline to catch up, s",
    )
    parser.add_argument("--phase-timeout", type=float, default=120.0, help="per throughput run")
    parser.add_argument(
        "--phases", choices=("all", "throughput", "end-to-end", "classifier"), default="all"
    )
    parser.add_argument(
        "--fingerprints", type=int, default=1_000_000, help="classifier lookup index size"
    )
    parser.add_argument(
        "--idempotency-keys",
        action="store_true",
        help="send a unique Idempotency-Key with every report",
    )
    parser.add_argument(
        "--e2e-narratives",
        choices=("varied", "templates"),
        default="varied",
        help="end-to-end reports: varied like the evaluation set, or all from twenty template "
        "sentences (a copy-paste campaign: the classifier's worst case)",
    )
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--keep-logs", action="store_true", help="keep the services' logs")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not (1 <= args.reports <= 200_000 and 1 <= args.concurrency <= 1024):
        parser.error("--reports must be 1..200000 and --concurrency 1..1024")
    if not (
        0 < args.e2e_rate <= 2000
        and 0 < args.e2e_seconds <= 600
        and 0 <= args.e2e_warmup_seconds <= 60
    ):
        parser.error("--e2e-rate must be 0..2000, --e2e-seconds 0..600, warm-up 0..60")
    if not (0.005 <= args.poll_interval <= 5 and 0 < args.poll_bound <= 300):
        parser.error("--poll-interval must be 0.005..5 s and --poll-bound 0..300 s")
    if not (0 <= args.warmup <= 100_000 and 0 < args.drain_timeout <= 600):
        parser.error("--warmup must be 0..100000 and --drain-timeout 0..600 s")
    if not 0 < args.phase_timeout <= 600:
        parser.error("--phase-timeout must be 0..600 s")
    return args


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """One phase on a fresh event loop (uvloop when available, like the services use)."""
    try:
        import uvloop

        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        loop_factory = None

    async def main() -> T:
        return await factory()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main())


# ---------------------------------------------------------------------------------------------
# CPU time per process, from /proc, to see where the time goes in each phase
# ---------------------------------------------------------------------------------------------


class CpuMeter:
    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = {**processes, "bench (load generator)": os.getpid()}

    @contextmanager
    def measure(self, into: dict[str, Any]) -> Iterator[None]:
        before = {name: cpu_seconds(pid) for name, pid in self.processes.items()}
        started = time.perf_counter()
        try:
            yield
        finally:
            wall = time.perf_counter() - started
            after = {name: cpu_seconds(pid) for name, pid in self.processes.items()}
            into["wall_s"] = wall
            into["cores_busy"] = {
                name: (after[name] - before[name]) / wall  # type: ignore[operator]
                for name in self.processes
                if before[name] is not None and after[name] is not None and wall > 0
            }


def stack_pids(stack: Stack) -> dict[str, int]:
    return {name: process.pid for name, process in stack.processes.items()}


# ---------------------------------------------------------------------------------------------
# Phases
# ---------------------------------------------------------------------------------------------


@contextmanager
def baseline(kind: str, stack: Stack, log_dir: Path) -> Iterator[tuple[str, Process]]:
    port = free_port()
    process = spawn(
        f"baseline-{kind}",
        [
            sys.executable,
            "-m",
            "bench.baselines",
            kind,
            "--port",
            str(port),
            "--mongodb-uri",
            stack.mongodb_uri,
        ],
        log_dir,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if process.popen.poll() is not None:
                raise RuntimeError(f"baseline {kind} exited:\n{process.log_text()[-2000:]}")
            return http_ok(f"{url}/readyz")

        wait_until(ready, 30, f"baseline {kind}", interval=0.2)
        yield url, process
    finally:
        process.stop()


def throughput(target: str, url: str, args: argparse.Namespace, bodies: list[bytes]) -> Throughput:
    return run_async(
        lambda: closed_loop(
            target,
            f"{url}/v1/reports",
            bodies,
            concurrency=args.concurrency,
            time_limit_s=args.phase_timeout,
            idempotency=args.idempotency_keys,
        )
    )


def drain(stack: Stack, codes: list[str], time_limit_s: float) -> dict[str, Any]:
    return run_async(
        lambda: wait_until_classified(stack.url("tracker"), codes, time_limit_s=time_limit_s)
    ).as_dict()


def drop_naive_database(stack: Stack) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(
        stack.mongodb_uri, serverSelectionTimeoutMS=5000
    )
    try:
        client.drop_database(NAIVE_DATABASE)
    finally:
        client.close()


def measure_throughput(
    args: argparse.Namespace,
    log_dir: Path,
    results: dict[str, Any],
    bodies: list[bytes],
    warmup: list[bytes],
) -> None:
    cpu = results["cpu"]
    # Like the baselines, intake is first measured as the one server on its database (its
    # outbox relay publishing to Kafka, nobody consuming), then again with the whole pipeline
    # sharing the two cores and the one database process.
    print("Starting Kafka, MongoDB and intake for the throughput runs…", flush=True)
    with running_stack(log_dir / "alone", services=False) as stack:
        stack.start_service("intake")
        stack.wait_ready("intake")
        for kind in ("bare", "naive"):
            print(f"Baseline {kind}…", flush=True)
            with baseline(kind, stack, log_dir) as (url, process):
                meter = CpuMeter({**stack_pids(stack), f"baseline-{kind}": process.pid})
                throughput(kind, url, args, warmup)  # unmeasured
                with meter.measure(cpu.setdefault(kind, {})):
                    results["throughput"][kind] = throughput(kind, url, args, bodies).as_dict()
            if kind == "naive":
                drop_naive_database(stack)
        print("Intake alone…", flush=True)
        meter = CpuMeter(stack_pids(stack))
        throughput("intake", stack.url("intake"), args, warmup)  # unmeasured
        with meter.measure(cpu.setdefault("intake", {})):
            results["throughput"]["intake"] = throughput(
                "intake", stack.url("intake"), args, bodies
            ).as_dict()

    print("Starting the whole system…", flush=True)
    with running_stack(log_dir / "system") as stack:
        print("Intake with the pipeline running…", flush=True)
        meter = CpuMeter(stack_pids(stack))
        intake_url = stack.url("intake")
        warm = throughput("intake", intake_url, args, warmup)  # unmeasured
        drain(stack, warm.tracking_codes, args.drain_timeout)  # start from an idle pipeline
        with meter.measure(cpu.setdefault("intake+pipeline", {})):
            run = throughput("intake+pipeline", intake_url, args, bodies)
        results["throughput"]["intake+pipeline"] = run.as_dict()
        print("Waiting for the pipeline to classify them…", flush=True)
        with meter.measure(cpu.setdefault("catch-up", {})):
            drained = drain(stack, run.tracking_codes, args.drain_timeout)
        drained["classified_per_s"] = drained["classified_in_history"] / (
            run.elapsed_s + drained["last_classified_after_s"]
        )
        results["pipeline_drain"] = drained
        print("Stopping the stack…", flush=True)


def measure_end_to_end(
    args: argparse.Namespace, log_dir: Path, results: dict[str, Any], bodies: list[bytes]
) -> None:
    print("Starting a stack for the end-to-end run…", flush=True)
    with running_stack(log_dir) as stack:
        meter = CpuMeter(stack_pids(stack))
        warmup = bodies[: round(args.e2e_rate * args.e2e_warmup_seconds)]
        if warmup:
            print(
                f"Warming up at {args.e2e_rate:.0f}/s for {args.e2e_warmup_seconds:.0f} s…",
                flush=True,
            )
            run_async(
                lambda: steady_end_to_end(
                    stack.url("intake"),
                    stack.url("tracker"),
                    warmup,
                    rate_per_s=args.e2e_rate,
                    poll_interval_s=args.poll_interval,
                    poll_bound_s=args.poll_bound,
                )
            )
        bodies = bodies[len(warmup) :]
        print(f"End to end at {args.e2e_rate:.0f}/s for {args.e2e_seconds:.0f} s…", flush=True)
        with meter.measure(results["cpu"].setdefault("end-to-end", {})):
            e2e: EndToEnd = run_async(
                lambda: steady_end_to_end(
                    stack.url("intake"),
                    stack.url("tracker"),
                    bodies,
                    rate_per_s=args.e2e_rate,
                    poll_interval_s=args.poll_interval,
                    poll_bound_s=args.poll_bound,
                    idempotency=args.idempotency_keys,
                )
            )
        results["end_to_end"] = e2e.as_dict()
        # Which stage each report settles on, once the backlog has cleared (bounded).
        print("Letting the pipeline catch up…", flush=True)
        results["end_to_end"]["after_settling"] = drain(
            stack, e2e.tracking_codes, args.drain_timeout
        )
        print("Stopping the stack…", flush=True)


# ---------------------------------------------------------------------------------------------
# Logs and machine
# ---------------------------------------------------------------------------------------------


def scan_logs(log_dir: Path, limit: int = 5) -> dict[str, dict[str, Any]]:
    """Warnings and errors per log file: counts and the most frequent messages."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(log_dir.rglob("*.log")):
        counts: Counter[str] = Counter()
        messages: Counter[str] = Counter()
        with path.open(errors="replace") as lines:
            for number, line in enumerate(lines):
                if number > 2_000_000:
                    break
                level, message = _classify_line(line)
                if level is None:
                    continue
                counts[level] += 1
                messages[f"{level}: {message}"[:200]] += 1
        if counts:
            name = str(path.relative_to(log_dir).with_suffix(""))
            found[name] = {"counts": dict(counts), "top": messages.most_common(limit)}
    return found


def _classify_line(line: str) -> tuple[str | None, str]:
    text = line.strip()
    if text.startswith("{"):
        try:
            entry = json.loads(text)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            level = str(entry.get("level", "")).lower()
            if level in ("warning", "error", "critical"):
                detail = entry.get("error") or entry.get("exception") or entry.get("reason") or ""
                return level, f"{entry.get('message', '')} {detail}".strip()
            return None, ""
    upper = text.upper()
    if "TRACEBACK" in upper or "ERROR" in upper or "CRITICAL" in upper:
        return "error", text
    if "WARN" in upper:
        return "warning", text
    return None, ""


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(results: dict[str, Any]) -> str:
    params, out = results["parameters"], []
    machine = results["machine"]
    out.append(
        f"Machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), Python {machine['python']}"
    )
    out.append("")
    out.append(
        f"Intake throughput: {params['reports']} reports, concurrency "
        f"{params['concurrency']}, after {params['warmup']} warm-up reports"
        + (", with Idempotency-Key" if params["idempotency_keys"] else "")
    )
    out.append(
        f"  {'target':<28}{'reports/s':>11}{'p50 ms':>10}{'p99 ms':>10}"
        f"{'max ms':>10}{'ok':>8}  errors"
    )
    labels = {
        "bare": "bare FastAPI (validate)",
        "naive": "naive (validate+insert_one)",
        "intake": "intake (alone)",
        "intake+pipeline": "intake (+ whole pipeline)",
    }
    for key, label in labels.items():
        run = results["throughput"].get(key)
        if run is None:
            continue
        lat = run["latency_s"]
        errors = ", ".join(f"{k}: {v}" for k, v in run["errors"].items()) or "none"
        out.append(
            f"  {label:<28}{run['reports_per_s']:>11.0f}{_ms(lat['p50']):>10}"
            f"{_ms(lat['p99']):>10}{_ms(lat['max']):>10}{run['ok']:>8}  {errors}"
        )
    ratios = results["ratios"]
    if "intake_over_bare" in ratios:
        out.append(f"  intake / bare  = {ratios['intake_over_bare']:.2f}x")
    if "intake_over_naive" in ratios:
        value = ratios["intake_over_naive"]
        out.append(
            f"  intake / naive = {value:.2f}x   target >= {TARGET_INTAKE_OVER_NAIVE:.1f}x"
            f"   {_verdict(value >= TARGET_INTAKE_OVER_NAIVE)}"
        )
    if "intake+pipeline_over_naive" in ratios:
        out.append(
            f"  intake with the whole pipeline on the same 2 cores and database / naive"
            f" = {ratios['intake+pipeline_over_naive']:.2f}x"
        )
    drained = results.get("pipeline_drain")
    if drained:
        out.append(
            f"  pipeline after the intake run: {drained['classified_in_history']}/"
            f"{drained['reports']} classified, the last "
            f"{drained['last_classified_after_s']:.1f} s after the last submit: about "
            f"{drained['classified_per_s']:.0f} reports/s through the whole pipeline"
        )
        if drained["classified_but_stage_shows_other"]:
            out.append(
                f"  note: {drained['classified_but_stage_shows_other']} of them have a "
                "'classified' entry but the tracker's current stage shows another one"
            )
    e2e = results.get("end_to_end")
    if e2e:
        out.append("")
        out.append(
            f"End to end: {e2e['rate_per_s']:.0f} reports/s for {params['e2e_seconds']:.0f}"
            f" s ({e2e['planned']} reports, {params.get('e2e_narratives', 'templates')}"
            " narratives), tracker polled every "
            f"{e2e['poll_interval_s'] * 1000:.0f} ms for up to {e2e['poll_bound_s']:.0f} s"
        )
        rate = e2e["achieved_submit_rate_per_s"]
        out.append(
            f"  submitted ok {e2e['submitted_ok']}/{e2e['planned']} (achieved "
            f"{rate or 0:.1f}/s), classified {e2e['classified']}, not classified "
            f"within bound {e2e['not_classified_within_bound']}"
        )
        lat, sub = e2e["end_to_end_s"], e2e["submit_latency_s"]
        out.append(
            f"  submit -> tracker shows classified: p50 {_s(lat['p50'])} s, p90 "
            f"{_s(lat['p90'])} s, p99 {_s(lat['p99'])} s, max {_s(lat['max'])} s"
        )
        out.append(f"  submit latency: p50 {_ms(sub['p50'])} ms, p99 {_ms(sub['p99'])} ms")
        rec, cls = e2e["server_submitted_to_received_s"], e2e["server_submitted_to_classified_s"]
        out.append(
            f"  server clocks, submitted -> received p50 {_s(rec['p50'])} s / p99 "
            f"{_s(rec['p99'])} s; submitted -> classified p50 {_s(cls['p50'])} s / p99 "
            f"{_s(cls['p99'])} s"
        )
        p99 = lat["p99"]
        ok = p99 is not None and p99 <= TARGET_E2E_P99_S and e2e["not_classified_within_bound"] == 0
        out.append(f"  target p99 <= {TARGET_E2E_P99_S:.1f} s (all classified)   {_verdict(ok)}")
        hist = e2e["classified_in_history_s"]
        out.append(
            f"  submit -> 'classified' entry in the tracker's history (whatever the stage "
            f"shown): p50 {_s(hist['p50'])} s, p99 {_s(hist['p99'])} s"
        )
        if e2e["not_classified_within_bound"]:
            out.append(
                f"  never shown as classified: {e2e['not_classified_within_bound']}, of "
                f"which {e2e['classified_in_history_but_stage_not_classified']} had a "
                f"'classified' entry; last stage shown: "
                f"{dict(e2e['last_stage_of_unclassified'])}"
            )
        out.append(
            f"  tracker polls: {e2e['tracker_polls']} ({e2e['tracker_polls_per_s'] or 0:.0f}/s)"
        )
        settled = e2e["after_settling"]
        out.append(
            f"  after the run: {settled['classified_in_history']}/{settled['reports']} have "
            f"a 'classified' entry (the last {settled['last_classified_after_s']:.1f} s "
            f"after the run); {settled['classified_but_stage_shows_other']} of them show "
            "another current stage"
        )
        if e2e["poll_errors"] or e2e["submit_errors"]:
            out.append(f"  errors: submit {e2e['submit_errors']}, poll {e2e['poll_errors']}")
    if results.get("cpu"):
        out.append("")
        out.append(f"CPU, in cores busy (of {machine['cpu_count']}), per phase:")
        phases = list(results["cpu"])
        names = sorted({n for p in phases for n in results["cpu"][p]["cores_busy"]})
        columns = [(p, max(10, len(p) + 2)) for p in phases]
        out.append(f"  {'process':<24}" + "".join(f"{p:>{w}}" for p, w in columns))
        for name in names:
            cells = "".join(
                f"{results['cpu'][p]['cores_busy'].get(name, 0.0):>{w}.2f}" for p, w in columns
            )
            out.append(f"  {name:<24}{cells}")
    out.append("")
    if results.get("logs"):
        out.append("Warnings and errors in the logs:")
        for service, found in results["logs"].items():
            out.append(f"  {service}: {found['counts']}")
            for message, count in found["top"]:
                out.append(f"    {count:>6} x {message}")
    else:
        out.append("No warnings or errors in the logs.")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # stop everything, as on Ctrl-C
    log_dir = Path(tempfile.mkdtemp(prefix="tipline-bench-"))
    e2e_count = max(1, round(args.e2e_rate * args.e2e_seconds))
    e2e_warmup_count = round(args.e2e_rate * args.e2e_warmup_seconds)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": machine_info(),
        "parameters": {
            "reports": args.reports,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "e2e_rate": args.e2e_rate,
            "e2e_seconds": args.e2e_seconds,
            "e2e_reports": e2e_count,
            "e2e_warmup_seconds": args.e2e_warmup_seconds,
            "e2e_narratives": args.e2e_narratives,
            "poll_interval_s": args.poll_interval,
            "poll_bound_s": args.poll_bound,
            "drain_timeout_s": args.drain_timeout,
            "idempotency_keys": args.idempotency_keys,
            "seed": args.seed,
            "phases": args.phases,
            "client": "aiohttp, one process, uvloop",
        },
        "throughput": {},
        "ratios": {},
        "cpu": {},
    }
    print("Generating report bodies…", flush=True)
    bodies = make_bodies(args.reports, args.seed)
    warmup = make_bodies(args.warmup, args.seed + 1) if args.warmup else []
    e2e_bodies = make_bodies(e2e_warmup_count + e2e_count, args.seed + 2, args.e2e_narratives)
    narrative_lengths = [len(json.loads(b)["narrative"]) for b in bodies]
    results["parameters"]["narrative_chars"] = {
        "min": min(narrative_lengths),
        "max": max(narrative_lengths),
        "mean": sum(narrative_lengths) / len(narrative_lengths),
    }
    succeeded = False
    try:
        print(f"Logs in {log_dir}", flush=True)
        # Each measurement gets a fresh stack, so neither inherits the other's backlog or data.
        if args.phases in ("all", "throughput"):
            measure_throughput(args, log_dir / "throughput", results, bodies, warmup)
        if args.phases in ("all", "end-to-end"):
            measure_end_to_end(args, log_dir / "end-to-end", results, e2e_bodies)
        if args.phases in ("all", "classifier"):
            results["classifier"] = classifier_bench.measure(fingerprints=args.fingerprints)
        _ratios(results)
        results["logs"] = scan_logs(log_dir)
        results["finished_at"] = datetime.now(UTC).isoformat()
        print()
        if args.phases != "classifier":
            print(report(results))
        if "classifier" in results:
            print(classifier_bench.report(results["classifier"]))
        args.output.write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False))
        print(f"\nWrote {args.output}")
        succeeded = True
    except KeyboardInterrupt:
        print("\nInterrupted; everything started here has been stopped.", file=sys.stderr)
        return 130
    except (TimeoutError, RuntimeError) as exc:
        print(f"\nBenchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if succeeded and not args.keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)
        else:
            print(f"Logs kept in {log_dir}", file=sys.stderr)
    return 0


def _ratios(results: dict[str, Any]) -> None:
    throughput, ratios = results["throughput"], results["ratios"]
    intake = throughput.get("intake", {}).get("reports_per_s")
    for name in ("bare", "naive"):
        other = throughput.get(name, {}).get("reports_per_s")
        if intake and other:
            ratios[f"intake_over_{name}"] = intake / other
    with_pipeline = throughput.get("intake+pipeline", {}).get("reports_per_s")
    naive = throughput.get("naive", {}).get("reports_per_s")
    if with_pipeline and naive:
        ratios["intake+pipeline_over_naive"] = with_pipeline / naive
    e2e = results.get("end_to_end")
    if throughput.get("naive") and throughput.get("intake"):
        results["targets"] = {
            "intake_over_naive": {
                "target": TARGET_INTAKE_OVER_NAIVE,
                "value": ratios.get("intake_over_naive"),
                "pass": (ratios.get("intake_over_naive") or 0) >= TARGET_INTAKE_OVER_NAIVE,
            }
        }
    if e2e:
        p99 = e2e["end_to_end_s"]["p99"]
        results.setdefault("targets", {})["end_to_end_p99_s"] = {
            "target": TARGET_E2E_P99_S,
            "value": p99,
            "pass": p99 is not None
            and p99 <= TARGET_E2E_P99_S
            and e2e["not_classified_within_bound"] == 0,
        }


if __name__ == "__main__":
    sys.exit(main())
