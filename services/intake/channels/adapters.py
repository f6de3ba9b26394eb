"""The channels' adapter: messaging-app conversations still being written, sealed at rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.common.crypto import Keyring
from services.common.events import utcnow


class ConversationStore:
    """Messaging-app conversations while a reporter is still writing, sealed at rest.

    A conversation is found by a keyed hash of the platform and the sender's platform id (never
    stored in the clear). Its parts are sealed under its own data key (registered in
    `services/common/keys.py`), and it is erased when the report is submitted, when the
    reporter cancels, or `ttl_hours` after it began (TTL index). After a submission only the
    sealed reply is kept, so a platform's retry of the same message gets the same answer.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], keyring: Keyring, ttl_hours: int):
        self.conversations = db["conversations"]
        self.keyring = keyring
        self.ttl = timedelta(hours=ttl_hours)

    async def create_indexes(self) -> None:
        await self.conversations.create_index("expires_at", expireAfterSeconds=0)

    async def find(self, conversation_id: str) -> Conversation | None:
        document = await self.conversations.find_one({"_id": conversation_id})
        if document is None or document["expires_at"].replace(tzinfo=UTC) <= utcnow():
            return None
        key = self.keyring.open_data_key(document["data_key"], conversation_id)
        parts = [key.open("part", bytes(p)).decode() for p in document.get("parts", [])]
        reply = document.get("reply")
        return Conversation(
            conversation_id=conversation_id,
            parts=parts,
            seen=list(document.get("seen", [])),
            reply=key.open("reply", bytes(reply)).decode() if reply is not None else None,
        )

    async def add_part(self, conversation_id: str, text: str, message_hash: str) -> None:
        """Appends a part, starting the conversation (and its key) if it is new or finished."""
        document = await self.conversations.find_one(
            {"_id": conversation_id}, {"data_key": 1, "reply": 1}
        )
        if document is None or "reply" in document:
            key, wrapped = self.keyring.new_data_key(conversation_id)
            await self.conversations.replace_one(
                {"_id": conversation_id},
                {
                    "_id": conversation_id,
                    "data_key": wrapped,
                    "parts": [key.seal("part", text.encode())],
                    "seen": [message_hash],
                    "expires_at": utcnow() + self.ttl,
                },
                upsert=True,
            )
            return
        key = self.keyring.open_data_key(document["data_key"], conversation_id)
        await self.conversations.update_one(
            {"_id": conversation_id},
            {"$push": {"parts": key.seal("part", text.encode()), "seen": message_hash}},
        )

    async def finish(self, conversation_id: str, reply: str, message_hash: str) -> None:
        """The report is in: drop the parts, keep only the sealed reply for retries."""
        key, wrapped = self.keyring.new_data_key(conversation_id)
        await self.conversations.replace_one(
            {"_id": conversation_id},
            {
                "_id": conversation_id,
                "data_key": wrapped,
                "reply": key.seal("reply", reply.encode()),
                "seen": [message_hash],
                "expires_at": utcnow() + timedelta(hours=1),
            },
            upsert=True,
        )

    async def forget(self, conversation_id: str) -> None:
        await self.conversations.delete_one({"_id": conversation_id})


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    parts: list[str]
    seen: list[str]
    reply: str | None  # set once the report was submitted
