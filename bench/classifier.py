"""The classifier's figures for `make bench`: throughput of one worker, and candidate lookup
in a large fingerprint index.

Throughput (reports/s, one worker, one process):
  - "sifting only": the worker's own work (model, rules, entities, region, MinHash and bands,
    sealing), in batches of up to 64 as the faust agent takes them, with no database.
  - "with its MongoDB index and store": the same plus what the consumer does in the
    classifier's database (one insert of a batch's fingerprints, a candidate lookup per report,
    one merge and one count for the batch, one save), two batches in flight as the agent runs
    them, against SecantusDB, on a stream generated like the evaluation set.
    Kafka and intake's HTTP read are left out: they are measured by the pipeline benchmarks.

Candidate lookup:
  - At 1,000,000 stored fingerprints: the band-hash lookup structure (what MongoDB's multikey
    index holds: every band hash with its report) as sorted numpy arrays in this process,
    plus the stored signatures for the similarity check. SecantusDB, a Python server, inserts
    fingerprints with their multikey index at about 900 documents/s here, so loading 1,000,000
    would take over 18 minutes; that is why the 1M figure is not measured through it.
  - Through MongoDB (SecantusDB) itself, with the service's own FingerprintIndex adapter, at a
    smaller size (--mongo-fingerprints, 20,000 by default): the production code path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.load import cpu_seconds, percentile, varied_narratives
from deploy.local.stack import free_port, start_mongodb
from services.classifier import fingerprint
from services.classifier import model as model_module
from services.classifier import taxonomy as taxonomy_module
from services.classifier.adapters import ClassificationStore, FingerprintIndex, Save
from services.classifier.app import AGENT_CONCURRENCY
from services.classifier.app import BATCH_SIZE as BATCH
from services.classifier.domain import Candidate, Fingerprint, Join, Lookup
from services.classifier.pipeline import Sifter
from services.classifier.training.corpus import EVAL_FILE, read_jsonl
from services.common import mongo
from services.common.crypto import Keyring
from services.common.events import utcnow

TARGET_REPORTS_PER_S = 200
TARGET_LOOKUP_P99_MS = 20.0


def _texts() -> list[str]:
    return [row["text"] for row in read_jsonl(EVAL_FILE)]


class _NoDatabase:
    """An index that stores nothing: the sifting benchmark measures the worker's own work."""

    async def add(self, fingerprints: list[Fingerprint]) -> None:
        return None

    async def candidates(self, fingerprints: list[Fingerprint]) -> list[Lookup]:
        return [Lookup([], None) for _ in fingerprints]

    async def evidence_candidates(self, fingerprints: list[Fingerprint]) -> list[list[Candidate]]:
        return [[] for _ in fingerprints]

    async def join(self, joins: list[Join]) -> list[tuple[str, int]]:
        return [(join.report_id, 1) for join in joins]


def sifting_only(sifter: Sifter, texts: list[str], count: int) -> float:
    """The worker's own work per report, in batches as the agent takes them: model, rules,
    entities, region, MinHash and bands, sealing the details."""

    async def run() -> float:
        index = _NoDatabase()
        await sifter.sift_many([("warm-up", {"narrative": t}) for t in texts[:20]], index)
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            batch = range(start, min(count, start + BATCH))
            await sifter.sift_many(
                [(f"r{i}", {"narrative": texts[i % len(texts)]}) for i in batch], index
            )
        return count / (time.perf_counter() - started)

    return asyncio.run(run())


async def with_store(
    sifter: Sifter, uri: str, database_pid: int, texts: list[str]
) -> dict[str, float]:
    """Reports a second, and where the CPU went per report: the database process's and this
    one's (the worker's sifting and its database client)."""
    count = len(texts)
    client = mongo.connect(uri)
    db = client["bench_classifier"]
    store, index = ClassificationStore(db), FingerprintIndex(db)
    await store.create_indexes()
    await index.create_indexes()
    batches: asyncio.Queue[range] = asyncio.Queue()
    for start in range(0, count, BATCH):
        batches.put_nowait(range(start, min(count, start + BATCH)))

    async def agent() -> None:
        while not batches.empty():
            batch = batches.get_nowait()
            reports = [(f"bench-{i:07d}", {"narrative": texts[i]}) for i in batch]
            sifted = await sifter.sift_many(reports, index)
            at = utcnow()
            await store.save(
                [
                    Save(report_id, f"event-{report_id}", result, at, details)
                    for (report_id, _), (result, details) in zip(reports, sifted, strict=True)
                ]
            )

    try:
        started = time.perf_counter()
        database_before, worker_before = cpu_seconds(database_pid), time.process_time()
        await asyncio.gather(*(agent() for _ in range(AGENT_CONCURRENCY)))
        elapsed = time.perf_counter() - started
        database_cpu = (cpu_seconds(database_pid) or 0.0) - (database_before or 0.0)
        return {
            "per_s": count / elapsed,
            "database_cpu_ms_per_report": 1000 * database_cpu / count,
            "worker_cpu_ms_per_report": 1000 * (time.process_time() - worker_before) / count,
        }
    finally:
        await client.drop_database("bench_classifier")
        await client.close()


def _random_fingerprints(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    signatures = rng.integers(0, 2**32, size=(n, fingerprint.NUM_PERM), dtype=np.uint64)
    bands = rng.integers(-(2**63), 2**63 - 1, size=(n, fingerprint.BANDS), dtype=np.int64)
    return signatures, bands


def lookup_in_memory(count: int, queries: int, seed: int = 7) -> dict[str, Any]:
    """p99 of: find every stored report sharing a band, then estimate similarity to each."""
    rng = np.random.default_rng(seed)
    signatures, bands = _random_fingerprints(rng, count)
    signatures = signatures.astype(np.uint32)
    started = time.perf_counter()
    flat = bands.ravel()
    order = np.argsort(flat, kind="stable")
    keys = flat[order]
    owners = (order // fingerprint.BANDS).astype(np.uint32)
    del flat, order
    build_s = time.perf_counter() - started
    memory = keys.nbytes + owners.nbytes + signatures.nbytes
    texts = _texts()
    times = []
    hits = 0
    for i in range(queries):
        if i % 2 == 0:  # a near-duplicate of a stored report: shares some bands
            stored = int(rng.integers(count))
            query = bands[stored].copy()
            query[rng.integers(fingerprint.BANDS, size=8)] = rng.integers(-(2**62), 2**62, 8)
            signature = signatures[stored]
        else:  # a new report
            signature = fingerprint.minhash(texts[i % len(texts)]).astype(np.uint32)
            query = np.array(fingerprint.bands(signature.astype(np.uint64)), dtype=np.int64)
        t0 = time.perf_counter()
        left = np.searchsorted(keys, query, side="left")
        right = np.searchsorted(keys, query, side="right")
        found = np.unique(np.concatenate([owners[a:b] for a, b in zip(left, right, strict=True)]))
        if found.size:
            (signatures[found] == signature).mean(axis=1)
            hits += 1
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "fingerprints": count,
        "queries": queries,
        "queries_with_candidates": hits,
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "memory_mb": memory / 2**20,
        "build_s": build_s,
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def lookup_in_mongodb(
    uri: str, database_pid: int, count: int, queries: int, seed: int = 7
) -> dict[str, Any]:
    """The service's own FingerprintIndex: stored through `add` (the consumer's batch insert),
    looked up through `candidates`, as a report's lookup runs."""
    rng = np.random.default_rng(seed)
    client = mongo.connect(uri)
    db = client["bench_fingerprints"]
    index = FingerprintIndex(db)
    await index.create_indexes()
    signatures, bands = _random_fingerprints(rng, count)

    def stored(i: int) -> Fingerprint:
        return Fingerprint(
            f"fp-{i:07d}",
            [int(b) for b in bands[i]],
            [f"phone:{i:032x}"],
            signatures[i],
        )

    started = time.perf_counter()
    for start in range(0, count, 2000):
        await index.add([stored(i) for i in range(start, min(count, start + 2000))])
        if start and start % max(2000, count // 10) == 0:
            rate = start / (time.perf_counter() - started)
            print(f"  {start:,} fingerprints stored ({rate:.0f}/s)", flush=True)
    load_s = time.perf_counter() - started
    stats = await db.command("dbStats")
    times = []
    found = 0
    for i in range(queries):
        near = stored(int(rng.integers(count)))
        if i % 2:  # a new report: no band or key is in the index
            query = Fingerprint(
                "query", [random.getrandbits(63) for _ in near.bands], ["phone:new"], near.signature
            )
        else:  # a near-duplicate of a stored report: half its bands and its phone
            query = Fingerprint(
                "query",
                near.bands[: fingerprint.BANDS // 2]
                + [random.getrandbits(63) for _ in range(fingerprint.BANDS // 2)],
                near.keys,
                near.signature,
            )
        t0 = time.perf_counter()
        (lookup,) = await index.candidates([query])
        times.append((time.perf_counter() - t0) * 1000)
        found += bool(lookup.candidates)
    await client.drop_database("bench_fingerprints")
    await client.close()
    return {
        "fingerprints": count,
        "queries": queries,
        "queries_with_candidates": found,
        "insert_per_s": count / load_s,
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "storage_mb": (stats.get("storageSize", 0) + stats.get("indexSize", 0)) / 2**20,
        "database_rss_mb": _rss_mb(database_pid),
    }


def lookup_at_scale(count: int, queries: int = 1000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tipline-bench-classifier-") as tmp:
        port = free_port()
        database = start_mongodb(port, Path(tmp), storage=Path(tmp) / "db")
        try:
            return asyncio.run(
                lookup_in_mongodb(f"mongodb://127.0.0.1:{port}/", database.pid, count, queries)
            )
        finally:
            database.stop()


def measure(
    *, reports: int = 2000, fingerprints: int = 1_000_000, mongo_fingerprints: int = 20_000
) -> dict[str, Any]:
    sifter = Sifter(
        model=model_module.load(),
        taxonomy=taxonomy_module.load(),
        keyring=Keyring.new("bench-1"),
        linking_secret=b"bench-linking-secret",
    )
    texts = _texts()
    results: dict[str, Any] = {}
    print("Classifier: sifting throughput…", flush=True)
    results["sifting_only_per_s"] = sifting_only(sifter, texts, reports)
    print(f"Classifier: candidate lookup among {fingerprints:,} fingerprints…", flush=True)
    results["lookup_memory"] = lookup_in_memory(fingerprints, 2000)
    with tempfile.TemporaryDirectory(prefix="tipline-bench-classifier-") as tmp:
        port = free_port()
        database = start_mongodb(port, Path(tmp), storage=Path(tmp) / "db")
        try:
            uri = f"mongodb://127.0.0.1:{port}/"
            print("Classifier: one worker with its MongoDB index and store…", flush=True)
            stream = [text for _, text in varied_narratives(min(reports, 2000))]
            store = asyncio.run(with_store(sifter, uri, database.pid, stream))
            results["with_store_per_s"] = store.pop("per_s")
            results["with_store_cpu"] = store
            print(f"Classifier: lookup in MongoDB at {mongo_fingerprints:,}…", flush=True)
            results["lookup_mongodb"] = asyncio.run(
                lookup_in_mongodb(uri, database.pid, mongo_fingerprints, 500)
            )
        finally:
            database.stop()
    return results


def sifting_and_memory(reports: int = 2000) -> dict[str, float]:
    """One worker's sifting throughput, its start-up load time and its peak resident memory
    (what one classifier replica costs, its database client aside)."""
    started = time.perf_counter()
    sifter = Sifter(
        model=model_module.load(),
        taxonomy=taxonomy_module.load(),
        keyring=Keyring.new("bench-1"),
        linking_secret=b"bench-linking-secret",
    )
    load_s = time.perf_counter() - started
    per_s = sifting_only(sifter, _texts(), reports)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"sifting_only_per_s": per_s, "worker_rss_mb": rss_mb, "load_s": load_s}


def report(results: dict[str, Any]) -> str:
    memory, db, cpu = results["lookup_memory"], results["lookup_mongodb"], results["with_store_cpu"]

    def verdict(ok: bool) -> str:
        return "meets target" if ok else "MISSES target"

    lines = [
        "Classifier (one worker)",
        f"  sifting only (batches, no database)             {results['sifting_only_per_s']:8.0f} "
        f"reports/s   target >= {TARGET_REPORTS_PER_S}: "
        f"{verdict(results['sifting_only_per_s'] >= TARGET_REPORTS_PER_S)}",
        f"  with its MongoDB index and store (SecantusDB)    {results['with_store_per_s']:8.0f} "
        f"reports/s   target >= {TARGET_REPORTS_PER_S}: "
        f"{verdict(results['with_store_per_s'] >= TARGET_REPORTS_PER_S)}",
        f"    CPU per report: database {cpu['database_cpu_ms_per_report']:.1f} ms, "
        f"worker {cpu['worker_cpu_ms_per_report']:.1f} ms (sifting and its database client)",
        f"  candidate lookup, {memory['fingerprints']:,} fingerprints (band index in memory): "
        f"p50 {memory['p50_ms']:.2f} ms, p99 {memory['p99_ms']:.2f} ms, "
        f"{memory['memory_mb']:.0f} MB   target p99 < {TARGET_LOOKUP_P99_MS:.0f} ms: "
        f"{verdict(memory['p99_ms'] < TARGET_LOOKUP_P99_MS)}",
        f"  candidate lookup, {db['fingerprints']:,} fingerprints in MongoDB (SecantusDB): "
        f"p50 {db['p50_ms']:.2f} ms, p99 {db['p99_ms']:.2f} ms, "
        f"{db['storage_mb']:.0f} MB on disk; loaded at {db['insert_per_s']:.0f} fingerprints/s",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lookup-at",
        type=int,
        help="only store this many fingerprints in SecantusDB and time candidate lookups",
    )
    parser.add_argument(
        "--sifting-only",
        action="store_true",
        help="only time one worker's sifting (no database) and report its memory",
    )
    args = parser.parse_args(argv)
    if args.sifting_only:
        figures = sifting_and_memory()
        print(
            f"sifting only (batches, no database): {figures['sifting_only_per_s']:.0f} reports/s; "
            f"worker memory {figures['worker_rss_mb']:.0f} MB peak RSS "
            f"(model, taxonomy and gazetteer loaded in {figures['load_s']:.2f} s)"
        )
    elif args.lookup_at:
        figures = lookup_at_scale(args.lookup_at)
        print(
            f"candidate lookup, {figures['fingerprints']:,} fingerprints in MongoDB (SecantusDB): "
            f"p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms; "
            f"{figures['storage_mb']:.0f} MB on disk, "
            f"database process {figures['database_rss_mb']:.0f} MB; "
            f"stored at {figures['insert_per_s']:.0f} fingerprints/s"
        )
    else:
        figures = measure()
        print(report(figures))
    print(json.dumps(figures, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
