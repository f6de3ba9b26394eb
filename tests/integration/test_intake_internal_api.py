"""Intake's internal content API as the classifier uses it: many reports in one read, each with
its own outcome, so one broken report never holds the others back — on the real servers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from deploy.local.stack import Stack
from services.classifier.adapters import IntakeContentClient
from services.classifier.consumer import make_handler_factory
from services.classifier.model import load as load_model
from services.classifier.pipeline import Sifter
from services.classifier.taxonomy import load as load_taxonomy
from services.common import topics
from services.common.crypto import Keyring
from services.common.events import SUBMITTED_V1, Channel, ReportSubmitted, new_event, utcnow
from services.common.kafka import EventProcessor, RawMessage
from tests.integration.helpers import (
    code_hash_of,
    mongo_client,
    read_topic,
    report_id_of,
    submit,
    wait_for_stage,
)

CONTENTS = "/internal/v1/reports/contents"
NARRATIVE = "The quarry boss's men collect 'protection' from every stall on Tuesdays."


def _contents(stack: Stack, report_ids: list[str], token: str | None = None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.post(
        f"{stack.url('intake')}{CONTENTS}",
        json={"report_ids": report_ids},
        headers=headers,
        timeout=10,
    )


def _classified(stack: Stack, narrative: str = NARRATIVE) -> tuple[str, str]:
    """A report the classifier has read already: (report id, tracking code)."""
    code = submit(stack, {"channel": "web", "narrative": narrative}).json()["tracking_code"]
    wait_for_stage(stack, code, "classified")
    return report_id_of(stack, code), code


def test_the_batch_read_is_refused_without_the_service_token(stack: Stack):
    report_id, _ = _classified(stack)
    for token in (None, "not-the-token", stack.staff_token("supervisor")):
        answer = _contents(stack, [report_id], token)
        assert answer.status_code == 401
        assert NARRATIVE not in answer.text


def test_a_batch_over_the_limit_is_refused_with_the_limit_named(stack: Stack):
    token = stack.secrets["INTERNAL_API_TOKEN"]
    answer = _contents(stack, [f"report-{i}" for i in range(201)], token)
    assert answer.status_code == 413
    (problem,) = answer.json()["detail"]
    assert problem["field"] == "report_ids"
    assert "at most 200" in problem["reason"]
    assert _contents(stack, [f"report-{i}" for i in range(200)], token).status_code == 200


def test_each_report_comes_back_with_its_own_outcome(stack: Stack):
    token = stack.secrets["INTERNAL_API_TOKEN"]
    (good, _), (broken, _) = _classified(stack), _classified(stack, "采砂船每晚出动，村民被打。")
    reports = mongo_client(stack)["intake"]["reports"]
    original = reports.find_one({"_id": broken})
    assert original is not None
    tampered = bytearray(original["sealed"]["content"])
    tampered[-1] ^= 1
    reports.update_one({"_id": broken}, {"$set": {"sealed.content": bytes(tampered)}})
    try:
        answer = _contents(stack, [good, "no-such-report", broken, good], token)
    finally:
        reports.replace_one({"_id": broken}, original)
    assert answer.status_code == 200, answer.text
    assert "采砂" not in answer.text  # a report that does not open shows nothing
    found = answer.json()["reports"]
    assert [(r["report_id"], r["outcome"]) for r in found] == [
        (good, "found"),
        ("no-such-report", "missing"),
        (broken, "does_not_open"),
    ]
    assert found[0]["content"]["narrative"] == NARRATIVE
    assert "contact" not in found[0]["content"]
    # Every report read is on record, as the classifier's: the batch's read of `good` as well
    # as the classifier's own.
    reads = [
        json.loads(m.value)["data"]
        for m in read_topic(stack, topics.ACCESS)
        if json.loads(m.value)["subject"] == good
    ]
    assert [(r["staff"], r["fields"]) for r in reads] == [("classifier", ["content"])] * 2
    # One report alone, as before, for any other caller.
    one = httpx.get(
        f"{stack.url('intake')}/internal/v1/reports/{good}/content",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert one.status_code == 200
    assert one.json() == found[0]["content"]


def _submitted(report_id: str, code_hash: str) -> bytes:
    event = new_event(
        source="tests",
        type=SUBMITTED_V1,
        subject=report_id,
        data=ReportSubmitted(
            report_id=report_id,
            channel=Channel.WEB,
            submitted_at=utcnow(),
            tracking_code_hash=code_hash,
        ),
    )
    return event.to_bytes()


def test_a_report_intake_does_not_know_does_not_stop_the_others_in_its_batch(stack: Stack):
    """The classifier's own consumer code on one poll of three events, one for a report intake
    never had: the two real reports are classified, the unknown one alone is dead-lettered."""
    known = [_classified(stack, f"{NARRATIVE} Stall {n} paid twice.") for n in (1, 2)]
    events = [(rid, _submitted(rid, code_hash_of(stack, code))) for rid, code in known]
    events.insert(1, ("ghost-report", _submitted("ghost-report", "00" * 32)))
    database = "classifier_batch_test"

    async def run() -> dict[str, Any]:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            stack.mongodb_uri, tz_aware=True
        )
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        intake = IntakeContentClient(stack.url("intake"), stack.secrets["INTERNAL_API_TOKEN"])
        sifter = Sifter(load_model(), load_taxonomy(), Keyring.new("test-1"), b"linking-secret")
        try:
            handlers = await make_handler_factory(intake, sifter)(client[database], producer)
            processor = EventProcessor(
                consumer="batch-test",
                handler=handlers.one,
                batch_handler=handlers.many,
                producer=producer,
                retry_delay=0.01,
            )
            await processor.process_many(
                [
                    [
                        RawMessage(topics.REPORT_SUBMITTED, 0, offset, rid.encode(), value)
                        for offset, (rid, value) in enumerate(events)
                    ]
                ]
            )
            stored = client[database]["classifications"].find({}, {"_id": 1})
            return {"classified": sorted([doc["_id"] async for doc in stored])}
        finally:
            await intake.close()
            await producer.stop()
            await client.close()

    try:
        found = asyncio.run(run())
    finally:
        mongo_client(stack).drop_database(database)
    assert found["classified"] == sorted(rid for rid, _ in known)
    dead = [
        dict(m.headers)
        for m in read_topic(stack, topics.DEAD_LETTER)
        if dict(m.headers)["consumer"] == b"batch-test"
    ]
    assert [(h["reason"].decode()) for h in dead] == [
        "apply failed after 3 attempts: ReportContentMissing"
    ]
