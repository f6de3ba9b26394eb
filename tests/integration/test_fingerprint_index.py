"""The classifier's fingerprint index on a real MongoDB-protocol server: shared by replicas,
kept across a database restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pymongo import AsyncMongoClient

from deploy.local.stack import free_port, start_mongodb
from services.classifier import domain
from services.classifier.adapters import ClassificationStore, FingerprintIndex
from services.classifier.consumer import Sifter
from services.classifier.model import load as load_model
from services.classifier.taxonomy import load as load_taxonomy
from services.common.crypto import Keyring
from services.common.events import utcnow

SIFTER = Sifter(
    model=load_model(),
    taxonomy=load_taxonomy(),
    keyring=Keyring.new("test-1"),
    linking_secret=b"test-linking-secret",
)
REPORT = "带头的人叫蒋国富，每天晚上在湘江非法采砂，把沙子卖给搅拌站，电话13807315566。"
RESENT = "带头的人叫蒋国富，每天晚上在湘江非法采砂，把沙子卖给搅拌站，电话138-0731-5566。"
WITNESS = "I saw the sand gang's trucks again. Their boss is called Jiang; call 13807315566."


async def sift(index: domain.Index, report_id: str, text: str) -> dict:
    result, details = await SIFTER.sift(report_id, {"narrative": text}, index)
    return {"cluster_id": result.cluster_id, "links": details["links"]}


def test_two_replicas_share_the_index_and_it_survives_a_restart(tmp_path: Path):
    port = free_port()
    storage = tmp_path / "db"
    uri = f"mongodb://127.0.0.1:{port}/"

    async def first_run() -> tuple[dict, dict]:
        one, two = AsyncMongoClient(uri), AsyncMongoClient(uri)
        replica_a, replica_b = (
            FingerprintIndex(one["classifier"]),
            FingerprintIndex(two["classifier"]),
        )
        await replica_a.create_indexes()
        first = await sift(replica_a, "report-a", REPORT)
        resent = await sift(replica_b, "report-b", RESENT)  # another replica sees report-a
        await one.close()
        await two.close()
        return first, resent

    async def after_restart() -> tuple[dict, list[str]]:
        client = AsyncMongoClient(uri)
        index = FingerprintIndex(client["classifier"])
        witness = await sift(index, "report-c", WITNESS)
        members = await index.members("report-a")
        await client.close()
        return witness, members

    server = start_mongodb(port, tmp_path, storage=storage)
    try:
        first, resent = asyncio.run(first_run())
    finally:
        server.stop()
    assert first == {"cluster_id": "report-a", "links": []}
    assert resent["cluster_id"] == "report-a"
    (link,) = resent["links"]
    assert link["report_id"] == "report-a" and link["relation"] == "duplicate"

    server = start_mongodb(port, tmp_path, storage=storage)
    try:
        witness, members = asyncio.run(after_restart())
    finally:
        server.stop()
    assert witness["cluster_id"] == "report-a"
    assert {link["relation"] for link in witness["links"]} == {"related"}
    assert members == ["report-a", "report-b", "report-c"]


def test_an_unrelated_report_sharing_only_words_and_a_place_starts_its_own_cluster(
    tmp_path: Path,
):
    port = free_port()
    server = start_mongodb(port, tmp_path)

    async def run() -> dict:
        client = AsyncMongoClient(f"mongodb://127.0.0.1:{port}/")
        index = FingerprintIndex(client["classifier"])
        await index.create_indexes()
        await sift(index, "report-a", REPORT)
        other = await sift(
            index, "report-x", "湘江边上另一伙人在非法采砂，老板叫刘德胜，电话13911112222。"
        )
        await client.close()
        return other

    try:
        other = asyncio.run(run())
    finally:
        server.stop()
    assert other == {"cluster_id": "report-x", "links": []}


def test_reports_sifted_at_once_share_round_trips_and_still_link(tmp_path: Path):
    """Concurrent reports' adds and saves go to the database together (one bulk write): a
    report still sees the others added with it, and a repeated event is still a repeat."""
    port = free_port()
    server = start_mongodb(port, tmp_path)

    async def run() -> tuple[list[dict], list[str], list[bool], list[bool]]:
        client = AsyncMongoClient(f"mongodb://127.0.0.1:{port}/")
        db = client["classifier"]
        index, store = FingerprintIndex(db), ClassificationStore(db)
        await index.create_indexes()
        await store.create_indexes()
        sifted = await asyncio.gather(
            sift(index, "report-a", REPORT),
            sift(index, "report-b", RESENT),
            sift(index, "report-c", WITNESS),
        )
        cluster = await index.cluster_of("report-a")
        assert cluster is not None
        members = await index.members(cluster)
        result, details = await SIFTER.sift("report-d", {"narrative": REPORT}, index)
        saves = [store.save("report-d", "event-d", result, utcnow(), details) for _ in range(3)]
        first = await asyncio.gather(*saves)
        again = await asyncio.gather(
            store.save("report-d", "event-d", result, utcnow(), details),
            store.save("report-e", "event-e", result, utcnow(), details),
        )
        # A redelivered report is added again: its fingerprint is replaced, its cluster kept.
        await sift(index, "report-b", RESENT)
        members_after = await index.members(cluster)
        await client.close()
        assert members_after == [*members, "report-d"]
        return list(sifted), members, first, again

    try:
        sifted, members, first, again = asyncio.run(run())
    finally:
        server.stop()
    assert members == ["report-a", "report-b", "report-c"]
    # A report sees those added with or before it; whichever merge ran last, one cluster.
    assert sum(1 for s in sifted if s["links"]) >= 2
    assert sorted(first) == [False, False, True]
    assert again == [False, True]
