"""`make bench`, recovery: reports accepted, classified, lost and doubled under each fault.

The same faults as the fault suite (deploy/local/faults.py): during a stream of reports to
127.0.0.1, `kill -9` of the classifier, the tracker, intake, the broker and the database, the
database held down for 10 s, and the broker restarted empty. Starts its own supervised system
on free ports, stops exactly what it started, by pid; prints a table. Bounded: seven faults,
each waiting at most `--timeout` seconds for its reports (a few minutes in all).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from deploy.local.faults import FAULTS, Tally, run_fault, supervised_stack

RESULTS = Path(__file__).with_name("fault-results.json")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=60, help="reports sent per fault")
    parser.add_argument("--rate", type=float, default=15.0, help="reports per second")
    parser.add_argument("--timeout", type=float, default=150.0, help="wait per fault, s")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not (1 <= args.reports <= 2000 and 0 < args.rate <= 200 and 0 < args.timeout <= 600):
        parser.error("--reports must be 1..2000, --rate 0..200, --timeout 0..600 s")
    return args


def table(tallies: list[Tally]) -> str:
    header = ("fault", "sent", "accepted", "classified", "lost", "doubled")
    rows = [header] + [
        (t.fault, str(t.sent), str(t.accepted), str(t.classified), str(t.lost), str(t.doubled))
        for t in tallies
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tallies: list[Tally] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tipline-faults-") as log_dir:
        print("Recovery: starting a supervised system…", flush=True)
        with supervised_stack(Path(log_dir)) as (stack, supervisor):
            for name in FAULTS:
                tally = run_fault(
                    stack, supervisor, name, args.reports, args.rate, timeout=args.timeout
                )
                tallies.append(tally)
                print(f"  {name}: {tally.classified}/{tally.accepted} classified", flush=True)
    print(table(tallies), flush=True)
    print(f"({time.monotonic() - started:.0f} s in all)", flush=True)
    args.output.write_text(json.dumps([asdict(t) for t in tallies], indent=2) + "\n")
    return 0  # a loss is reported in the table (the fault suite is what fails on one)


if __name__ == "__main__":
    sys.exit(main())
