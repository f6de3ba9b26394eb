"""The common outbox's document shape: what is stored, what goes to Kafka, what is marked."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from services.common import outbox, topics
from services.common.events import Envelope, new_event


class Data(BaseModel):
    report_id: str
    stage: str


def event(report_id: str = "r-1", stage: str = "received") -> Envelope:
    return new_event(
        source="tipline/test",
        type="tipline.report.stage_changed.v1",
        subject=report_id,
        data=Data(report_id=report_id, stage=stage),
    )


def test_an_entry_names_its_topic_and_is_keyed_by_the_report():
    stage = event("r-7")
    entry = outbox.entry(stage, topics.REPORT_STAGE)
    assert entry == {
        "id": stage.id,
        "topic": topics.REPORT_STAGE,
        "key": "r-7",
        "body": stage.model_dump(mode="json"),
    }


def test_a_new_document_carries_its_entries_and_the_pending_flag():
    entry = outbox.entry(event(), topics.REPORT_SUBMITTED)
    assert outbox.new_document_fields([entry]) == {"outbox": [entry], "outbox_pending": True}


def test_the_message_sent_is_the_event_itself_keyed_by_the_report():
    stage = event("r-2", "assigned")
    message = outbox.message_of(outbox.entry(stage, topics.REPORT_STAGE), "r-2")
    assert message.topic == topics.REPORT_STAGE
    assert message.key == b"r-2"
    assert Envelope.from_bytes(message.value) == stage


def test_an_entry_in_intakes_old_shape_is_still_sent_as_before():
    submitted = event("r-3").model_dump(mode="json")
    old = {"id": submitted["id"], "topic": topics.REPORT_SUBMITTED, "event": submitted}
    message = outbox.message_of(old, "r-3")
    assert message == outbox.Message(
        topics.REPORT_SUBMITTED, b"r-3", json.dumps(submitted).encode()
    )


def test_an_entry_in_the_trackers_old_shape_goes_to_the_default_topic_keyed_by_its_case():
    stage = event("r-4")
    old = {"id": stage.id, "body": stage.to_bytes()}
    message = outbox.message_of(old, "r-4", default_topic=topics.REPORT_STAGE)
    assert message == outbox.Message(topics.REPORT_STAGE, b"r-4", stage.to_bytes())
    with pytest.raises(ValueError, match="default topic"):
        outbox.message_of(old, "r-4")


def test_events_join_a_conditional_write_without_changing_the_write_given():
    update = {"$push": {"timeline": {"stage": "assigned"}}, "$set": {"state": "assigned"}}
    entry = outbox.entry(event(), topics.REPORT_STAGE)
    merged = outbox.with_entries(update, [entry])
    assert merged == {
        "$push": {"timeline": {"stage": "assigned"}, "outbox": {"$each": [entry]}},
        "$set": {"state": "assigned", "outbox_pending": True},
    }
    assert update == {"$push": {"timeline": {"stage": "assigned"}}, "$set": {"state": "assigned"}}
    assert outbox.with_entries(update, []) is update


def test_published_outboxes_are_marked_and_kept_in_one_write_per_outbox_size():
    documents = [
        {"_id": "a", "outbox": [{"id": "1"}]},
        {"_id": "b", "outbox": [{"id": "2"}, {"id": "3"}]},
        {"_id": "c", "outbox": [{"id": "4"}]},
    ]
    writes = outbox.published_writes(documents, "cluster-2")
    marks = {"outbox_broker": "cluster-2"}
    assert writes == [
        (
            {"_id": {"$in": ["a", "c"]}, "outbox": {"$size": 1}},
            {"$set": {"outbox_published": 1, **marks}, "$unset": {"outbox_pending": ""}},
        ),
        (
            {"_id": {"$in": ["b"]}, "outbox": {"$size": 2}},
            {"$set": {"outbox_published": 2, **marks}, "$unset": {"outbox_pending": ""}},
        ),
    ]


def test_rounds_published_while_a_mark_waits_are_marked_together_per_broker():
    a, b, c = ({"_id": name, "outbox": [{"id": name}]} for name in "abc")
    merged = outbox.merged_rounds([([a], "cluster-1"), ([b], "cluster-1"), ([c], "cluster-2")])
    assert merged == {"cluster-1": [a, b], "cluster-2": [c]}
    ((query, _),) = outbox.published_writes(merged["cluster-1"], "cluster-1")
    assert query["_id"] == {"$in": ["a", "b"]}


def test_a_mark_names_at_most_a_chunk_of_ids():
    documents = [{"_id": str(n), "outbox": [{"id": str(n)}]} for n in range(2500)]
    writes = outbox.published_writes(documents, "cluster-1")
    assert [len(query["_id"]["$in"]) for query, _ in writes] == [1000, 1000, 500]
    assert sorted(i for query, _ in writes for i in query["_id"]["$in"]) == sorted(
        d["_id"] for d in documents
    )


def test_only_unpublished_entries_are_sent_unless_their_broker_lost_the_rest():
    entries = [{"id": "1"}, {"id": "2"}, {"id": "3"}]
    new = {"_id": "a", "outbox": entries[:1]}
    assert outbox.to_send(new, "cluster-1") == entries[:1]
    grown = {"_id": "b", "outbox": entries, "outbox_published": 2, "outbox_broker": "cluster-1"}
    assert outbox.to_send(grown, "cluster-1") == entries[2:]
    # The broker that had the first two was replaced by an empty one: all three go again.
    assert outbox.to_send(grown, "cluster-2") == entries
    done = {**grown, "outbox_published": 3}
    assert outbox.to_send(done, "cluster-1") == []
    assert outbox.stale_filter("cluster-2") == {
        "outbox_broker": {"$exists": True, "$ne": "cluster-2"}
    }


def test_the_sweep_leaves_documents_younger_than_the_grace_to_the_at_once_path():
    cutoff = datetime(2026, 11, 20, tzinfo=UTC)
    assert outbox.pending_filter("received_at", cutoff) == {
        "outbox_pending": True,
        "received_at": {"$lt": cutoff},
    }
    assert outbox.unflagged_filter() == {
        "outbox.0": {"$exists": True},
        "outbox_pending": {"$exists": False},
    }
