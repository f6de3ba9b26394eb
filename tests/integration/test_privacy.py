"""Private words never leave intake's store: not into events, logs, other databases or errors."""

from __future__ import annotations

import httpx
from pymongo import MongoClient

from deploy.local.stack import Stack
from services.common import topics
from tests.integration.helpers import read_topic, submit, track, wait_for_stage

CANARY = "CANARY7Q2"


def test_report_content_and_codes_stay_out_of_events_logs_and_other_databases(stack: Stack):
    report = {
        "channel": "weibo",
        "narrative": f"{CANARY}-narrative 他们开设赌场，还放高利贷。",
        "location": {"province": "广东", "city": "深圳", "details": f"{CANARY}-street"},
        "people_involved": [f"{CANARY}-person"],
        "organisations_involved": [f"{CANARY}-company"],
        "industry_hint": f"{CANARY}-industry",
        "contact": {"name": f"{CANARY}-name", "email": f"{CANARY.lower()}@example.org"},
    }
    code = submit(stack, report).json()["tracking_code"]
    wait_for_stage(stack, code, "classified")
    track(stack, code)
    track(stack, code[:-1] + "0")
    secrets = (CANARY, CANARY.lower(), code, code.replace("-", ""))

    for topic in topics.ALL_TOPICS:
        for message in read_topic(stack, topic):
            text = (message.value or b"").decode(errors="replace")
            assert not any(s in text for s in secrets), f"private data on {topic}"

    client = MongoClient(stack.mongodb_uri)
    for database in ("classifier", "tracker", "audit"):
        for collection in client[database].list_collection_names():
            for document in client[database][collection].find():
                text = str(document)
                assert not any(s in text for s in secrets), f"private data in {database}"

    for process in stack.processes.values():
        log = process.log_text()
        assert not any(s in log for s in secrets), f"private data in the {process.name} log"


def test_the_code_is_never_stored_in_the_clear(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    compact = code.replace("-", "")
    reports = MongoClient(stack.mongodb_uri)["intake"]["reports"]
    for document in reports.find():
        assert code not in str(document) and compact not in str(document)
    assert httpx.get(f"{stack.url('intake')}/metrics", timeout=5).text.count(compact) == 0
