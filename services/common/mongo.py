"""MongoDB adapters shared by every service (through pymongo.AsyncMongoClient)."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from services.common.crypto import DataKey, Keyring

DUPLICATE_KEY = 11000


def connect(
    uri: str, max_pool_size: int = 100, server_selection_timeout_ms: int = 1500
) -> AsyncMongoClient[dict[str, Any]]:
    """A client whose operations give up after `server_selection_timeout_ms` when no server
    answers (MONGODB_SERVER_SELECTION_TIMEOUT_MS): the HTTP services then answer 503."""
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=server_selection_timeout_ms,
        connectTimeoutMS=server_selection_timeout_ms,
        maxPoolSize=max_pool_size,
        appname="tipline",
    )


async def ping(client: AsyncMongoClient[dict[str, Any]]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True


class BatchInserter:
    """Gathers concurrent single inserts into `insert_many` calls.

    While one batch is being written, new documents queue up and go out together in the next,
    so batches grow with load and a lone request waits for nobody. Each caller still learns the
    outcome of its own document (a DuplicateKeyError stays its own).
    """

    def __init__(self, collection: AsyncCollection[dict[str, Any]], max_batch: int = 500) -> None:
        self.collection = collection
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[None]]] = asyncio.Queue()

    async def insert(self, document: dict[str, Any]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((document, done))
        await done

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        try:
            await self.collection.insert_many([doc for doc, _ in batch], ordered=False)
        except BulkWriteError as exc:
            failed = {error["index"]: error for error in exc.details.get("writeErrors", [])}
            for index, (_, done) in enumerate(batch):
                error = failed.get(index)
                if done.done():  # the caller went away
                    continue
                if error is None:
                    done.set_result(None)
                elif error.get("code") == DUPLICATE_KEY:
                    done.set_exception(DuplicateKeyError(error.get("errmsg", "duplicate key")))
                else:
                    done.set_exception(
                        OperationFailure(error.get("errmsg", "write failed"), error.get("code"))
                    )
            return
        except Exception as exc:
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        for _, done in batch:
            if not done.done():
                done.set_result(None)


async def data_key_of(
    collection: AsyncCollection[dict[str, Any]], owner: str, keyring: Keyring
) -> DataKey:
    """The document's own data key (`data_key`), made on first need. Two first writers race on
    a conditional write: the loser uses the winner's key."""
    doc = await collection.find_one({"_id": owner}, {"data_key": 1})
    if doc is not None and doc.get("data_key"):
        return keyring.open_data_key(doc["data_key"], owner)
    key, wrapped = keyring.new_data_key(owner)
    result = await collection.update_one(
        {"_id": owner, "data_key": {"$exists": False}}, {"$set": {"data_key": wrapped}}
    )
    if result.matched_count:
        return key
    doc = await collection.find_one({"_id": owner}, {"data_key": 1})
    if doc is None or not doc.get("data_key"):
        raise LookupError(f"no document {owner} in {collection.name}")
    return keyring.open_data_key(doc["data_key"], owner)
