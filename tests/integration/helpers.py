"""What integration tests do the way a user or an operator would: HTTP, Kafka, MongoDB."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from pymongo import MongoClient

from deploy.local.stack import Stack, free_port, spawn
from services.common import tracking_code

REPORT = {
    "channel": "web",
    "narrative": "村霸强收保护费，不交就打人。The village bully extorts every shop on the street.",
    "location": {"province": "湖南", "city": "长沙"},
}


# What the `start_stack` fixture gives: `with start_stack("name", **options) as stack:`.
StartStack = Callable[..., contextlib.AbstractContextManager[Stack]]

# One client per stack's MongoDB, closed when the stack stops (conftest.py).
_clients: dict[str, MongoClient[dict[str, Any]]] = {}


def mongo_client(stack: Stack) -> MongoClient[dict[str, Any]]:
    """The stack's MongoDB, read the way an operator would: one client, shared by the tests."""
    client = _clients.get(stack.mongodb_uri)
    if client is None:
        client = _clients[stack.mongodb_uri] = MongoClient(stack.mongodb_uri)
    return client


def close_mongo_client(stack: Stack) -> None:
    client = _clients.pop(stack.mongodb_uri, None)
    if client is not None:
        client.close()


def code_hash_of(stack: Stack, code: str) -> str:
    """What the services store instead of the code."""
    secret = stack.secrets["TRACKING_CODE_SECRET"].encode()
    return tracking_code.lookup_hash(tracking_code.normalize(code) or "", secret)


# Where each service keeps its record of a report.
RECORDS = {"intake": ("intake", "reports"), "tracker": ("tracker", "cases")}


def report_id_of(stack: Stack, code: str, held_by: str = "intake") -> str:
    """The report's id for a code, from intake's report or the tracker's case."""
    name, collection = RECORDS[held_by]
    found = mongo_client(stack)[name][collection].find_one(
        {"tracking_code_hash": code_hash_of(stack, code)}, {"_id": 1}
    )
    assert found is not None, f"no {held_by} record holds this code"
    return str(found["_id"])


def staff(stack: Stack, role: str, **scope: Any) -> dict[str, str]:
    """The headers of a member of staff with this role (and subject, provinces, teams)."""
    return {"Authorization": f"Bearer {stack.staff_token(role, **scope)}"}


def submit(stack: Stack, report: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{stack.url('intake')}/v1/reports", json=report or REPORT, headers=headers, timeout=15
    )


def track(stack: Stack, code: str) -> httpx.Response:
    return httpx.get(f"{stack.url('tracker')}/v1/track/{code}", timeout=10)


def wait_for_stage(stack: Stack, code: str, stage: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        last = track(stack, code)
        if last.status_code == 200 and stage in [s["stage"] for s in last.json()["history"]]:
            return dict(last.json())
        time.sleep(0.1)
    raise AssertionError(
        f"stage {stage!r} not shown within {timeout} s; last answer: "
        f"{last.status_code if last else None} {last.text if last else ''}"
    )


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def metric(stack: Stack, service: str, name: str, **labels: str) -> float:
    text = httpx.get(f"{stack.url(service)}/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def produce(stack: Stack, topic: str, value: bytes, key: bytes | None = None) -> None:
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

    asyncio.run(send())


def read_topic(stack: Stack, topic: str) -> list[Any]:
    """Every message on a topic, from the beginning, read without joining any group."""

    async def read() -> list[Any]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=stack.kafka_bootstrap,
            group_id=None,
            enable_auto_commit=False,
            client_id=f"test-reader-{uuid.uuid4()}",
        )
        await consumer.start()
        try:
            await consumer.topics()  # loads the cluster metadata
            partitions = [
                TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            messages: list[Any] = []
            deadline = time.monotonic() + 20

            async def behind() -> bool:
                return any([await consumer.position(tp) < ends[tp] for tp in partitions])

            while time.monotonic() < deadline and await behind():
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    messages.extend(records)
            return messages
        finally:
            await consumer.stop()

    return asyncio.run(read())


def wait_until_all_classified(stack: Stack, timeout: float = 60) -> None:
    """Until every report intake holds has been classified, so a module that sent reports
    without following them leaves no work in flight for the next module's assertions."""
    classifications = mongo_client(stack)["classifier"]["classifications"]
    reports = mongo_client(stack)["intake"]["reports"]
    wait_until(
        lambda: classifications.count_documents({}) >= reports.count_documents({}),
        timeout,
        "every report classified",
    )


@contextlib.contextmanager
def second_instance(
    stack: Stack, service: str, settings: Mapping[str, str], name: str | None = None
) -> Iterator[Stack]:
    """Another instance of `service` on the same servers, with these settings, logging as
    `name`: the stack it gives points at it (`url(service)`, `processes[service]`)."""
    own = dataclasses.replace(stack, ports={**stack.ports, service: free_port()}, processes={})
    env = {**own.service_env(), **settings}
    own.processes[service] = spawn(
        name or service, [sys.executable, "-m", f"services.{service}"], own.log_dir, env
    )
    try:
        own.wait_ready(service)
        yield own
    finally:
        own.stop()
