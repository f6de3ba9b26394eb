"""Manage key-encryption keys and rotate the data keys they wrap (installed as
`tipline-keys`; also `python -m services.common.keys`).

    tipline-keys new --file keyring.json        a keyring with one key
    tipline-keys add --file keyring.json        a new key, made active
    tipline-keys status                         data keys per key id
    tipline-keys rotate                         re-wrap under the active key
    tipline-keys retire --file keyring.json --key-id OLD

Rotation re-wraps each report's (and each staff account's) data key under the active key;
content is not touched, so it is quick and safe to repeat or interrupt. An old key keeps
decrypting until `retire`, which refuses while any data key still depends on it. `status`,
`rotate` and `retire` read the keyring from TIPLINE_KEYRING_FILE or TIPLINE_KEYRING and the
databases from MONGODB_URI.

Keys are JSON with base64 values; the keyring file is created readable by its owner only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo.asynchronous.mongo_client import AsyncMongoClient

from services.common import mongo
from services.common.crypto import Keyring, KeyringError
from services.common.settings import KeyringSettings


@dataclass(frozen=True)
class DataKeyLocation:
    """Where wrapped data keys are stored: one per document, with the owner they are bound to."""

    database_env: str
    default_database: str
    collection: str
    field: str
    owner_field: str = "_id"

    def database(self) -> str:
        return os.environ.get(self.database_env, self.default_database)

    def label(self) -> str:
        return f"{self.database()}.{self.collection}"


# Every place a wrapped data key is kept. A new owner of private data adds itself here.
DATA_KEY_LOCATIONS = (
    DataKeyLocation("INTAKE_DATABASE", "intake", "reports", "data_key"),
    DataKeyLocation(
        "INTAKE_DATABASE", "intake", "evidence_files", "data_key", owner_field="report_id"
    ),
    # Messages between reporter and investigators, and staff notes, per case (= report id).
    DataKeyLocation("TRACKER_DATABASE", "tracker", "cases", "data_key"),
    # Messaging-app conversations still being written (erased within a day).
    DataKeyLocation("INTAKE_DATABASE", "intake", "conversations", "data_key"),
    # The classifier's evidence phrases and entity values, per report.
    DataKeyLocation("CLASSIFIER_DATABASE", "classifier", "classifications", "data_key"),
    # The console's staff accounts: each one's TOTP secret, per account (= account id).
    DataKeyLocation("STAFF_DATABASE", "staff", "console_accounts", "data_key"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tipline-keys", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("new", "create a keyring file"), ("add", "add a key and make it active")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--file", type=Path, required=True)
        command.add_argument("--key-id", default=None, help="default: kek-<UTC date and time>")
    commands.add_parser("status", help="count data keys under each key id")
    commands.add_parser("rotate", help="re-wrap every data key under the active key")
    retire = commands.add_parser("retire", help="remove a key no data key depends on")
    retire.add_argument("--file", type=Path, required=True)
    retire.add_argument("--key-id", required=True)
    args = parser.parse_args(argv)

    try:
        if args.command == "new":
            if args.file.exists():
                print(f"{args.file} exists already; use `add`", file=sys.stderr)
                return 2
            _write_keyring(args.file, Keyring.new(args.key_id or _new_key_id()))
            print(f"keyring written to {args.file}", file=sys.stderr)
            return 0
        if args.command == "add":
            keyring = Keyring.from_file(args.file).with_new_key(args.key_id or _new_key_id())
            _write_keyring(args.file, keyring)
            print(f"key {keyring.active_id} added and active; now run `rotate`", file=sys.stderr)
            return 0
        return asyncio.run(_with_database(args))
    except KeyringError as exc:
        print(str(exc), file=sys.stderr)
        return 2


async def _with_database(args: argparse.Namespace) -> int:
    settings = KeyringSettings()
    client: AsyncMongoClient[dict[str, Any]] = mongo.connect(settings.mongodb_uri)
    try:
        if args.command == "status":
            keyring = settings.keyring()
            for location, counts in (await key_usage(client)).items():
                shown = ", ".join(f"{kid}: {n}" for kid, n in sorted(counts.items())) or "none"
                print(f"{location}: {shown} (active: {keyring.active_id})")
            return 0
        if args.command == "rotate":
            counts = await rotate(client, settings.keyring())
            for location, count in counts.items():
                print(f"{location}: {count} data key(s) re-wrapped")
            return 0
        keyring = Keyring.from_file(args.file)
        in_use = sum(counts.get(args.key_id, 0) for counts in (await key_usage(client)).values())
        if in_use:
            print(
                f"{in_use} data key(s) still depend on {args.key_id}; run `rotate` first",
                file=sys.stderr,
            )
            return 1
        _write_keyring(args.file, keyring.without(args.key_id))
        print(f"key {args.key_id} retired", file=sys.stderr)
        return 0
    finally:
        await client.close()


async def key_usage(client: AsyncMongoClient[dict[str, Any]]) -> dict[str, dict[str, int]]:
    usage: dict[str, dict[str, int]] = {}
    for location in DATA_KEY_LOCATIONS:
        counts: dict[str, int] = {}
        collection = client[location.database()][location.collection]
        async for doc in collection.find(
            {location.field: {"$exists": True}}, {f"{location.field}.kid": 1}
        ):
            kid = doc[location.field]["kid"]
            counts[kid] = counts.get(kid, 0) + 1
        usage[location.label()] = counts
    return usage


async def rotate(
    client: AsyncMongoClient[dict[str, Any]], keyring: Keyring, batch: int = 500
) -> dict[str, int]:
    """Re-wraps data keys not under the active key. Safe to rerun, and to run beside traffic:
    each write is conditional on the wrapped key it replaces."""
    done: dict[str, int] = {}
    for location in DATA_KEY_LOCATIONS:
        collection = client[location.database()][location.collection]
        path, count = location.field, 0
        stale = {path: {"$exists": True}, f"{path}.kid": {"$ne": keyring.active_id}}
        while True:
            docs = await collection.find(stale, {path: 1, location.owner_field: 1}).to_list(batch)
            if not docs:
                break
            for doc in docs:
                rewrapped = keyring.rewrap(doc[path], str(doc[location.owner_field]))
                result = await collection.update_one(
                    {"_id": doc["_id"], path: doc[path]}, {"$set": {path: rewrapped}}
                )
                count += result.modified_count
        done[location.label()] = count
    return done


def _new_key_id() -> str:
    return "kek-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


def _write_keyring(path: Path, keyring: Keyring) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keyring.to_json())
    temporary.replace(path)


if __name__ == "__main__":
    sys.exit(main())
