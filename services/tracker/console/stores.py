"""The console's stores, in the shared `staff` database beside the token register: accounts
(`console_accounts`) and sessions (`console_sessions`, by the SHA-256 of the cookie's secret;
MongoDB drops a session a while after it could last be used)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.tracker.console.accounts import Account, Session
from services.tracker.domain import as_utc


class AccountStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["console_accounts"]

    async def get(self, account_id: str) -> Account | None:
        doc = await self.collection.find_one({"_id": account_id})
        return Account.from_document(doc) if doc else None

    async def insert(self, account: Account) -> bool:
        try:
            await self.collection.insert_one(account.to_document())
        except DuplicateKeyError:
            return False
        return True

    async def replace(self, account: Account) -> None:
        await self.collection.replace_one({"_id": account.id}, account.to_document())

    async def all(self) -> list[Account]:
        docs = await self.collection.find({}).sort("_id", 1).to_list(None)
        return [Account.from_document(d) for d in docs]


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
                "token": session.token,
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
            token=doc.get("token"),
            token_id=doc.get("token_id", ""),
        )

    async def touch(self, id_hash: str, at: datetime) -> None:
        await self.collection.update_one({"_id": id_hash}, {"$set": {"last_seen": at}})

    async def delete(self, id_hash: str) -> None:
        await self.collection.delete_one({"_id": id_hash})

    async def delete_for(self, account_id: str) -> list[str]:
        docs = await self.collection.find({"account_id": account_id}, {"token_id": 1}).to_list(None)
        await self.collection.delete_many({"account_id": account_id})
        return [str(d.get("token_id", "")) for d in docs]
