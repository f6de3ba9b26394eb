"""The canary sweep: private words planted in every field are found nowhere but in an audited,
decrypt-authorised answer: not in events, logs, any database's raw documents, or errors."""

from __future__ import annotations

import httpx

from deploy.local.stack import Stack
from services.common import topics
from tests.integration.helpers import (
    mongo_client,
    read_topic,
    report_id_of,
    submit,
    track,
    wait_for_stage,
    wait_until,
)
from tests.integration.test_evidence import mp3, upload

CANARY = "CANARY7Q2"


def test_canaries_in_every_private_field_appear_only_in_decrypt_authorised_answers(stack: Stack):
    report = {
        "channel": "weibo",
        # Also what the classifier extracts and quotes: a phone and an evidence phrase.
        "narrative": f"{CANARY}-narrative 他们开设赌场，还放高利贷，电话13755552468。"
        f"The police chief takes bribes from {CANARY}-boss every month.",
        "location": {"province": "广东", "city": "深圳", "details": f"{CANARY}-street"},
        "people_involved": [f"{CANARY}-person"],
        "organisations_involved": [f"{CANARY}-company"],
        "industry_hint": f"{CANARY}-industry",
        "contact": {
            "name": f"{CANARY}-name",
            "email": f"{CANARY.lower()}@example.org",
            "phone": "+86 137 7777 2468",
            "messaging_handle": f"{CANARY}-handle",
        },
    }
    # The client's own details are planted too: intake must keep no fingerprint of it.
    code = submit(stack, report, **{"User-Agent": f"{CANARY}-agent"}).json()["tracking_code"]
    wait_for_stage(stack, code, "classified")
    secrets = (
        CANARY,
        CANARY.lower(),
        "137 7777 2468",
        "13755552468",
        code,
        code.replace("-", ""),
    )
    report_id = report_id_of(stack, code)
    stored = mongo_client(stack)["intake"]["reports"].find_one({"_id": report_id})
    assert set(stored) <= {
        "_id",
        "received_at",
        "channel",
        "language",
        "tracking_code_hash",
        "data_key",
        "sealed",
        "scope",
        "outbox",
        "outbox_pending",
        "outbox_published",
        "outbox_broker",
        "progress",
        "idempotency",
    }
    assert "127.0.0.1" not in str(stored)

    # A file too: its name and its bytes carry the canary.
    attached = upload(
        stack.url("intake"),
        code,
        mp3(20_000) + f"{CANARY}-inside-the-file".encode(),
        "audio/mpeg",
        name=f"{CANARY}-recording.mp3",
    )
    assert attached.status_code == 201, attached.text
    file_id = attached.json()["file_id"]

    # The places the canaries may appear: audited reads by a supervisor.
    supervisor = {
        "Authorization": f"Bearer {stack.staff_token('supervisor')}",
        "X-Access-Purpose": "checking the report before routing it",
    }
    authorised = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}",
        headers=supervisor,
        params={"part": ["content", "contact"]},
        timeout=10,
    )
    assert authorised.status_code == 200 and CANARY in authorised.text
    # ...and the classifier's audited view of what it extracted (so the sweep below would
    # find these values if they were stored or sent anywhere in the clear).
    extracted = httpx.get(
        f"{stack.url('classifier')}/v1/staff/reports/{report_id}/classification",
        headers=supervisor,
        timeout=10,
    )
    assert extracted.status_code == 200
    assert "13755552468" in extracted.text and f"{CANARY}-boss" in extracted.text
    downloaded = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence/{file_id}",
        headers=supervisor,
        timeout=10,
    )
    assert downloaded.status_code == 200 and f"{CANARY}-inside".encode() in downloaded.content

    # Everything else a person or a program could see: error answers of every kind...
    answers = [
        track(stack, code[:-1] + ("0" if code[-1] != "0" else "1")),
        submit(stack, {**report, "narrative": f"{CANARY}"}),  # too short: 422
        submit(stack, {**report, "contact": {"email": f"{CANARY}-not-an-email"}}),
        submit(stack, {**report, "colour": f"{CANARY}-extra-field"}),
        httpx.get(f"{stack.url('intake')}/v1/staff/reports/{report_id}", timeout=10),
        httpx.get(
            f"{stack.url('intake')}/v1/staff/reports/{report_id}",
            headers={"Authorization": f"Bearer {stack.staff_token('analyst')}"},
            timeout=10,
        ),
        httpx.get(f"{stack.url('tracker')}/v1/track/{CANARY}", timeout=10),
    ]
    for answer in answers:
        assert answer.status_code >= 400
        assert not any(s in answer.text for s in secrets), f"private data in a {answer.status_code}"
    wait_until(
        lambda: any(m.key == report_id.encode() for m in read_topic(stack, topics.ACCESS)),
        20,
        "the read reaching the access topic",
    )

    # ...every Kafka topic, read whole...
    for topic in topics.ALL_TOPICS:
        for message in read_topic(stack, topic):
            text = (message.value or b"").decode(errors="replace")
            assert not any(s in text for s in secrets), f"private data on {topic}"

    # ...every MongoDB collection's raw documents, intake's sealed reports included...
    client = mongo_client(stack)
    for database in client.list_database_names():
        if database in ("admin", "config", "local"):
            continue
        for collection in client[database].list_collection_names():
            for document in client[database][collection].find():
                text = str(document)
                assert not any(s in text for s in secrets), f"private data in {database}"

    # ...and every service's log.
    for process in stack.processes.values():
        log = process.log_text()
        assert not any(s in log for s in secrets), f"private data in the {process.name} log"


def test_the_code_is_never_stored_in_the_clear(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    compact = code.replace("-", "")
    reports = mongo_client(stack)["intake"]["reports"]
    for document in reports.find():
        assert code not in str(document) and compact not in str(document)
    assert httpx.get(f"{stack.url('intake')}/metrics", timeout=5).text.count(compact) == 0
