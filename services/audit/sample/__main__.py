"""The monthly sample from the command line.

    python -m services.audit.sample commit --period 2026-11 [--dice 20] [--out FILE]
    python -m services.audit.sample draw --period 2026-11 --beacon ROUND:HEX [--dice 3,1,4,…]
    python -m services.audit.sample verify RECORD.json
    python -m services.audit.sample status

`commit`, `draw` and `status` reach the system through MONGODB_URI and KAFKA_BOOTSTRAP_SERVERS
(and the SAMPLE_* settings); `commit` and `draw` print the record as JSON, or write it to
--out. `verify` needs only the record: no database, no network, no Tipline settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.audit.sample", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    commands = parser.add_subparsers(dest="command", required=True)

    commit = commands.add_parser("commit", help="freeze a period's reports; name the randomness")
    commit.add_argument("--period", required=True, help="a month YYYY-MM, or START--END")
    commit.add_argument("--minimum", type=int, help="at least this many (SAMPLE_MINIMUM)")
    commit.add_argument("--rate", help="this share of the reports, e.g. 0.01 (SAMPLE_RATE)")
    commit.add_argument("--stratify-by", choices=["province", ""], help="(SAMPLE_STRATIFY_BY)")
    commit.add_argument(
        "--beacon-round",
        type=int,
        help="the round to use (default: the first SAMPLE_BEACON_DELAY_SECONDS from now)",
    )
    commit.add_argument("--no-beacon", action="store_true", help="dice only")
    commit.add_argument("--dice", type=int, default=0, help="how many ten-sided dice to roll")
    commit.add_argument("--by", default="command-line", help="who commits (a staff id)")
    commit.add_argument("--out", type=Path, help="write the record here instead of printing it")

    draw = commands.add_parser("draw", help="draw the committed period's sample")
    draw.add_argument("--period", required=True)
    draw.add_argument("--beacon", help="ROUND:HEX, the named round's value as published")
    draw.add_argument("--dice", help="the digits rolled at the ceremony, e.g. 3,1,4,1,5")
    draw.add_argument("--by", default="command-line", help="who draws (a staff id)")
    draw.add_argument("--out", type=Path)

    verify = commands.add_parser("verify", help="re-derive a record's hashes, seed and sample")
    verify.add_argument("record", type=Path)

    commands.add_parser("status", help="every committed period, drawn or not")

    args = parser.parse_args(argv)
    if args.command == "verify":
        return verify_file(args.record)
    # Only the commands that reach the system load it: `verify` stays standard library.
    import asyncio

    from services.audit.sample.commands import run

    return asyncio.run(run(args))


def verify_file(path: Path) -> int:
    from services.audit.sample.record import verify_record

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 2
    problems = verify_record(record)
    for problem in problems:
        print(f"MISMATCH: {problem}")
    if problems:
        return 1
    commitment, draw = record["commitment"], record["draw"]
    print(
        f"OK: period {commitment['period']['id']}, {commitment['population']['count']} reports, "
        f"commitment {record['commitment_hash']}"
    )
    if draw is None:
        print("Not drawn yet: the commitment holds together.")
        return 0
    print(f"Seed {draw['seed']} draws these {len(draw['selection'])} reports, as recorded.")
    if draw["beacon"]:
        beacon = commitment["beacon"]
        print(
            f"Check the beacon yourself: round {beacon['round']} of {beacon['name']} "
            f"(chain {beacon['chain_hash']}) must read {draw['beacon']['value']}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
