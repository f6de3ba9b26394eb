"""Issue and revoke staff tokens (installed as `tipline-token`; also `python -m
services.common.tokens`).

    tipline-token keys --out DIR
    tipline-token issue --subject inv-0042 --role investigator \\
        --province hunan --team inspection-hunan --hours 8
    tipline-token revoke --token-id ID      (or --subject inv-0042)
    tipline-token list

`issue` reads the private key from TOKEN_PRIVATE_KEY_FILE and prints the token once, alone on
standard output (its id goes to standard error), so `TOKEN=$(tipline-token issue ...)` works.
Provinces and teams must be the routing table's (TRACKER_ROUTING_FILE, else the tracker's
routing.toml): a scope naming none of them would see nothing. The register in the `staff`
database (MONGODB_URI, STAFF_DATABASE) keeps token ids, holders and roles, never tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

from services.common import mongo
from services.common.auth import Role, TokenRegister, issue, load_private_key, new_key_pair
from services.common.settings import StaffAuthSettings
from services.tracker.domain import RoutingTable, RoutingTableError

# The tracker's own table, when TRACKER_ROUTING_FILE does not name another.
DEFAULT_ROUTING_FILE = Path(__file__).parents[1] / "tracker" / "routing.toml"

MAX_LIFETIME_HOURS = 24 * 7


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tipline-token", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    keys = commands.add_parser("keys", help="make an Ed25519 key pair for signing tokens")
    keys.add_argument("--out", type=Path, required=True, help="directory for the two PEM files")

    issuing = commands.add_parser("issue", help="issue a token and print it once")
    issuing.add_argument("--subject", required=True, help="the staff member's id, not a name")
    issuing.add_argument("--role", required=True, choices=[r.value for r in Role])
    issuing.add_argument(
        "--province", action="append", default=[], help="investigators' scope: a province id"
    )
    issuing.add_argument(
        "--team", action="append", default=[], help="investigators' scope: a team of the table"
    )
    issuing.add_argument("--hours", type=float, default=8.0)

    revoking = commands.add_parser("revoke", help="revoke one token, or all of one holder's")
    which = revoking.add_mutually_exclusive_group(required=True)
    which.add_argument("--token-id")
    which.add_argument("--subject")

    commands.add_parser("list", help="list issued tokens that have not expired")

    args = parser.parse_args(argv)
    if args.command == "keys":
        return _make_keys(args.out)
    if args.command == "issue":
        try:
            problem = scope_problem(routing_table(), args.province, args.team)
        except (OSError, RoutingTableError) as exc:
            problem = f"cannot read the routing table: {exc}"
        if problem:
            print(problem, file=sys.stderr)
            return 2
        path = os.environ.get("TOKEN_PRIVATE_KEY_FILE")
        if not path:
            print("set TOKEN_PRIVATE_KEY_FILE to the signing key's PEM file", file=sys.stderr)
            return 2
        args.signing_key = load_private_key(Path(path).read_bytes())
    return asyncio.run(_with_register(args))


def routing_table() -> RoutingTable:
    path = os.environ.get("TRACKER_ROUTING_FILE") or DEFAULT_ROUTING_FILE
    return RoutingTable.from_toml(Path(path).read_text())


def scope_ids(table: RoutingTable) -> tuple[list[str], list[str]]:
    """The provinces and teams a scope may name: the routing table's."""
    provinces = sorted({j.province for j in table.jurisdictions.values() if j.province})
    return provinces, sorted(table.teams())


def scope_problem(table: RoutingTable, provinces: list[str], teams: list[str]) -> str | None:
    """What is wrong with an investigator's scope, naming the valid ids; None when it is right.
    Ids are compared exactly: a token's scope is matched exactly against each case's."""
    known_provinces, known_teams = scope_ids(table)
    problems = []
    unknown = [p for p in provinces if p not in known_provinces]
    if unknown:
        problems.append(
            f"unknown --province {', '.join(unknown)}; the routing table's provinces are: "
            + ", ".join(known_provinces)
        )
    unknown = [t for t in teams if t not in known_teams]
    if unknown:
        problems.append(
            f"unknown --team {', '.join(unknown)}; the routing table's teams are: "
            + ", ".join(known_teams)
        )
    return "\n".join(problems) or None


def _make_keys(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = new_key_pair()
    private_path, public_path = out / "token-signing.pem", out / "token-verifying.pem"
    if private_path.exists():
        print(f"{private_path} exists already; not overwritten", file=sys.stderr)
        return 2
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    public_path.write_bytes(public_pem)
    print(f"signing key (keep secret): {private_path}\nverifying key: {public_path}")
    return 0


async def _with_register(args: argparse.Namespace) -> int:
    settings = StaffAuthSettings()
    client = mongo.connect(settings.mongodb_uri)
    register = TokenRegister(client[settings.staff_database])
    try:
        if args.command == "issue":
            return await _issue(args, register)
        if args.command == "revoke":
            if args.token_id:
                done = await register.revoke(args.token_id)
                print("revoked" if done else "no such token id", file=sys.stderr)
                return 0 if done else 1
            count = await register.revoke_subject(args.subject)
            print(f"revoked {count} token(s)", file=sys.stderr)
            return 0
        async for record in register.issued.find({}).sort("issued_at", 1):
            print(
                f"{record['_id']}  {record['subject']:<16} {record['role']:<12} "
                f"until {record['expires_at']:%Y-%m-%d %H:%M}  "
                f"provinces={','.join(record['provinces']) or '-'} "
                f"teams={','.join(record['teams']) or '-'}"
            )
        return 0
    finally:
        await client.close()


async def _issue(args: argparse.Namespace, register: TokenRegister) -> int:
    if not 0 < args.hours <= MAX_LIFETIME_HOURS:
        print(f"--hours must be between 0 and {MAX_LIFETIME_HOURS}", file=sys.stderr)
        return 2
    role = Role(args.role)
    if role is Role.INVESTIGATOR and not (args.province or args.team):
        print("an investigator needs at least one --province or --team", file=sys.stderr)
        return 2
    token, claims = issue(
        args.signing_key,
        subject=args.subject,
        role=role,
        lifetime=timedelta(hours=args.hours),
        provinces=args.province,
        teams=args.team,
    )
    await register.record_issue(claims)
    print(f"token id {claims['jti']}, expires in {args.hours:g} h", file=sys.stderr)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
