"""Staff accounts from the command line (installed as `tipline-staff`; also `python -m
services.tracker.console.commands`).

    tipline-staff create --account sup-wang --name "Wang Li" --role supervisor
    tipline-staff create --account inv-0042 --name "Zhao Min" --role investigator \\
        --province hunan --team inspection-hunan
    tipline-staff list
    tipline-staff disable --account inv-0042      (ends its sessions and revokes its tokens)
    tipline-staff enable --account inv-0042       (also unlocks after failed sign-ins)
    tipline-staff reset --account inv-0042        (new password, second factor enrolled anew)

`create` and `reset` print a first password once, alone on standard output, unless
`--password-stdin` reads one. The person enrols their second factor (TOTP, by QR code) at their
first sign-in. Accounts live in the `staff` database (MONGODB_URI, STAFF_DATABASE); provinces
and teams must be the routing table's (TRACKER_ROUTING_FILE, else the tracker's routing.toml).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from services.common import mongo
from services.common.auth import Role, TokenRegister
from services.common.events import utcnow
from services.common.settings import StaffAuthSettings
from services.common.tokens import routing_table
from services.tracker.console import accounts
from services.tracker.console.stores import AccountStore, SessionStore
from services.tracker.domain import RoutingTableError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="tipline-staff", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an account")
    create.add_argument("--account", required=True, help="the id the person signs in with")
    create.add_argument("--name", required=True, help="the name colleagues know them by")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--province", action="append", default=[], help="investigators' scope")
    create.add_argument("--team", action="append", default=[], help="investigators' scope")
    create.add_argument("--password-stdin", action="store_true")
    commands.add_parser("list", help="list the accounts")
    for name, help_text in (
        ("disable", "disable an account: its sessions end at once"),
        ("enable", "enable an account again, or unlock it"),
        ("reset", "a new password and a new second factor"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--account", required=True)
        if name == "reset":
            command.add_argument("--password-stdin", action="store_true")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        table = routing_table()
    except (OSError, RoutingTableError) as exc:
        print(f"cannot read the routing table: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, table))


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password to set, and whether to print it (a generated one is printed once)."""
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n"), False
    return accounts.new_password(), True


async def _run(args: argparse.Namespace, table: Any) -> int:
    settings = StaffAuthSettings()
    client = mongo.connect(settings.mongodb_uri)
    db = client[settings.staff_database]
    register = TokenRegister(db)

    async def revoke(token_id: str) -> None:
        await register.revoke(token_id)

    console = accounts.Console(
        accounts=AccountStore(db),
        sessions=SessionStore(db, accounts.Console.lifetime),
        routing=table,
        clock=utcnow,
        revoke_token=revoke,
    )
    try:
        return await _command(console, args)
    except accounts.AccountProblem as problem:
        print(f"--{problem.field}: {problem.reason}", file=sys.stderr)
        return 2
    finally:
        await client.close()


async def _command(console: accounts.Console, args: argparse.Namespace) -> int:
    if args.command == "list":
        for account in await console.accounts.all():
            scope = ",".join(sorted(account.provinces | account.teams)) or "-"
            print(f"{account.id:<20} {account.role.value:<14} {account.state:<10} {scope}")
        return 0
    if args.command == "create":
        password, show = _password(args)
        account = await accounts.create_account(
            console,
            args.account,
            args.name,
            Role(args.role),
            password,
            provinces=args.province,
            teams=args.team,
        )
        print(f"created {account.id} ({account.role.value})", file=sys.stderr)
    elif args.command == "reset":
        password, show = _password(args)
        account = await accounts.reset_account(console, args.account, password)
        print(f"reset {account.id}: its sessions ended", file=sys.stderr)
    else:
        change = accounts.disable_account if args.command == "disable" else accounts.enable_account
        account = await change(console, args.account)
        print(f"{account.id} is {account.state}", file=sys.stderr)
        return 0
    if show:
        print("first password (shown once; hand it over in person):", file=sys.stderr)
        print(password)
    return 0


if __name__ == "__main__":
    sys.exit(main())
