"""The console's stores, in the shared `staff` database beside the token register: accounts
(`console_accounts`) and sessions (`console_sessions`, by the SHA-256 of the cookie's secret;
MongoDB drops a session a while after it could last be used).

An account's TOTP secret is private: the store keeps it sealed (`totp_sealed`) under the
account's own data key (`data_key`, wrapped by the keyring and listed in
`services.common.keys.DATA_KEY_LOCATIONS`, so `tipline-keys rotate` covers it), with the account
id and the field's name as associated data. A secret kept in plain text by an earlier release
(`totp_secret`) still works, and is sealed the first time the account is read."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.crypto import DataKey, Keyring
from services.common.mongo import data_key_of
from services.tracker.console.accounts import Account, Session
from services.tracker.domain import as_utc

SECRET_FIELD = "totp_secret"  # noqa: S105 - a field name: the associated data's field name, and the old plain field
SEALED_FIELD = "totp_sealed"


class AccountStore:
    """Accounts, their TOTP secrets sealed. Without a keyring (the `tipline-staff` command,
    which never checks a code) secrets stay sealed and read as absent; such a store can still
    clear a secret, never set one."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], keyring: Keyring | None = None) -> None:
        self.collection = db["console_accounts"]
        self.keyring = keyring

    async def get(self, account_id: str) -> Account | None:
        doc = await self.collection.find_one({"_id": account_id})
        return await self._account(doc) if doc else None

    async def insert(self, account: Account) -> bool:
        doc = _fields(account)
        if account.totp_secret is not None:
            key, doc["data_key"] = self._keyring().new_data_key(account.id)
            doc[SEALED_FIELD] = key.seal(SECRET_FIELD, account.totp_secret.encode())
        try:
            await self.collection.insert_one({"_id": account.id, **doc})
        except DuplicateKeyError:
            return False
        return True

    async def replace(self, account: Account) -> None:
        """Everything but the TOTP secret, which only `set_totp_secret` writes."""
        await self.collection.update_one({"_id": account.id}, {"$set": _fields(account)})

    async def set_totp_secret(self, account_id: str, secret: str | None) -> None:
        if secret is None:
            await self.collection.update_one(
                {"_id": account_id}, {"$unset": {SEALED_FIELD: "", SECRET_FIELD: ""}}
            )
            return
        key = await self._data_key(account_id)
        await self.collection.update_one(
            {"_id": account_id},
            {
                "$set": {SEALED_FIELD: key.seal(SECRET_FIELD, secret.encode())},
                "$unset": {SECRET_FIELD: ""},
            },
        )

    async def all(self) -> list[Account]:
        docs = await self.collection.find({}).sort("_id", 1).to_list(None)
        return [await self._account(d) for d in docs]

    async def _account(self, doc: dict[str, Any]) -> Account:
        account = Account.from_document(doc)
        plain = doc.get(SECRET_FIELD)
        if isinstance(plain, str) and self.keyring is not None:
            # Enrolled before secrets were sealed: seal it now, unless it changed meanwhile.
            key = await self._data_key(account.id)
            await self.collection.update_one(
                {"_id": account.id, SECRET_FIELD: plain},
                {
                    "$set": {SEALED_FIELD: key.seal(SECRET_FIELD, plain.encode())},
                    "$unset": {SECRET_FIELD: ""},
                },
            )
            return replace(account, totp_secret=plain)
        if isinstance(plain, str):
            return replace(account, totp_secret=plain)
        sealed = doc.get(SEALED_FIELD)
        if sealed is None or self.keyring is None or not doc.get("data_key"):
            return replace(account, totp_secret=None)
        key = self.keyring.open_data_key(doc["data_key"], account.id)
        return replace(account, totp_secret=key.open(SECRET_FIELD, sealed).decode())

    async def _data_key(self, account_id: str) -> DataKey:
        return await data_key_of(self.collection, account_id, self._keyring())

    def _keyring(self) -> Keyring:
        if self.keyring is None:
            raise RuntimeError("sealing a TOTP secret needs the keyring")
        return self.keyring


def _fields(account: Account) -> dict[str, Any]:
    """The account's document without its id and its secret."""
    doc = account.to_document()
    del doc["_id"]
    return doc


class SessionStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], lifetime: timedelta) -> None:
        self.collection = db["console_sessions"]
        self.lifetime = lifetime

    async def create_indexes(self) -> None:
        await self.collection.create_index("account_id")
        await self.collection.create_index("expires_at", expireAfterSeconds=0)

    async def insert(self, session: Session) -> None:
        await self.collection.insert_one(
            {
                "_id": session.id_hash,
                "account_id": session.account_id,
                "csrf": session.csrf,
                "created_at": session.created_at,
                "last_seen": session.last_seen,
                "expires_at": session.created_at + self.lifetime,
                "token_sealed": session.token_sealed,
                "token_id": session.token_id,
            }
        )

    async def get(self, id_hash: str) -> Session | None:
        doc = await self.collection.find_one({"_id": id_hash})
        if doc is None:
            return None
        return Session(
            id_hash=doc["_id"],
            account_id=doc["account_id"],
            csrf=doc["csrf"],
            created_at=as_utc(doc["created_at"]),
            last_seen=as_utc(doc["last_seen"]),
            token=doc.get("token"),  # kept in plain text by an earlier release
            token_id=doc.get("token_id", ""),
            token_sealed=doc.get("token_sealed"),
        )

    async def touch(self, id_hash: str, at: datetime) -> None:
        await self.collection.update_one({"_id": id_hash}, {"$set": {"last_seen": at}})

    async def delete(self, id_hash: str) -> None:
        await self.collection.delete_one({"_id": id_hash})

    async def delete_for(self, account_id: str) -> list[str]:
        docs = await self.collection.find({"account_id": account_id}, {"token_id": 1}).to_list(None)
        await self.collection.delete_many({"account_id": account_id})
        return [str(d.get("token_id", "")) for d in docs]
