"""The classifier's fingerprint index on a real MongoDB-protocol server: shared by replicas,
kept across a database restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bson import Binary, Int64
from pymongo import AsyncMongoClient, monitoring

from deploy.local.stack import free_port, start_mongodb
from services.classifier import adapters, domain, fingerprint
from services.classifier.adapters import ClassificationStore, FingerprintIndex, Save
from services.classifier.model import load as load_model
from services.classifier.pipeline import Sifter
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


def test_a_batch_costs_a_few_requests_and_links_within_itself(tmp_path: Path):
    """Reports sifted as one batch share each request to the database: they still see each
    other (one cluster), an earlier cluster keeps its id, and a repeated event is a repeat."""
    port = free_port()
    server = start_mongodb(port, tmp_path)
    commands: list[str] = []

    class Count(monitoring.CommandListener):
        def started(self, event: monitoring.CommandStartedEvent) -> None:
            if event.command_name in ("insert", "find", "update", "aggregate"):
                commands.append(event.command_name)

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

        def failed(self, event: monitoring.CommandFailedEvent) -> None: ...

    async def run() -> dict:
        client = AsyncMongoClient(f"mongodb://127.0.0.1:{port}/", event_listeners=[Count()])
        db = client["classifier"]
        index, store = FingerprintIndex(db), ClassificationStore(db)
        await index.create_indexes()
        await store.create_indexes()
        commands.clear()
        batch = await SIFTER.sift_many(
            [
                ("report-b", {"narrative": RESENT}),
                ("report-a", {"narrative": REPORT}),
                ("report-c", {"narrative": WITNESS}),
                (
                    "report-x",
                    {"narrative": "深圳有个传销组织专骗退休教师的养老钱，据说已经骗了几百人。"},
                ),
            ],
            index,
        )
        batch_commands = list(commands)
        # A batch of nothing but repeats leaves nothing to sift or save.
        assert await SIFTER.sift_many([], index) == []
        assert await store.save([]) == []
        later = await SIFTER.sift("report-d", {"narrative": REPORT}, index)
        members = await index.members("report-a")
        result, details = later
        save = Save("report-d", "event-d", result, utcnow(), details)
        first = await asyncio.gather(*(store.save([save]) for _ in range(3)))
        again = await store.save([save, Save("report-e", "event-e", result, utcnow(), details)])
        earlier = await store.for_events(["event-d", "event-unknown"])
        # A redelivered report is added again: its fingerprint is replaced, its cluster kept.
        await SIFTER.sift("report-b", {"narrative": RESENT}, index)
        members_after = await index.members("report-a")
        await client.close()
        return {
            "clusters": [r.cluster_id for r, _ in batch],
            "links": [len(d["links"]) for _, d in batch],
            "batch_commands": batch_commands,
            "later": later[0].cluster_id,
            "members": members,
            "members_after": members_after,
            "saves": sorted(answer for answers in first for answer in answers),
            "again": again,
            "earlier": sorted(earlier),
        }

    try:
        found = asyncio.run(run())
    finally:
        server.stop()
    # Three tellings of one incident share a cluster, named by the smallest new report id;
    # the unrelated report stays alone.
    assert found["clusters"] == ["report-a", "report-a", "report-a", "report-x"]
    assert found["links"][:3] == [2, 2, 2] and found["links"][3] == 0
    # One insert, one lookup per LOOKUPS_PER_FIND reports, one evidence lookup for the batch,
    # one merge, one re-read, one count: not a request per report.
    assert found["batch_commands"].count("insert") == 1
    assert found["batch_commands"].count("find") == -(-4 // adapters.LOOKUPS_PER_FIND) + 2
    assert found["batch_commands"].count("update") == 1
    assert found["batch_commands"].count("aggregate") == 1
    assert found["later"] == "report-a"
    assert found["members"] == ["report-a", "report-b", "report-c", "report-d"]
    assert found["members_after"] == found["members"]
    assert found["saves"] == [False, False, True]
    assert found["again"] == [False, True]
    assert found["earlier"] == ["event-d"]


def test_fingerprints_stored_before_the_single_lookup_field_are_still_found(tmp_path: Path):
    """An index written by the earlier version (bands and keys in two fields, two indexes) is
    moved to the one `lookup` field at start-up, and its reports are still linked."""
    port = free_port()
    server = start_mongodb(port, tmp_path)
    signature = fingerprint.minhash(REPORT, b"test-linking-secret")
    key = domain.hidden_key("phone:+8613807315566", b"test-linking-secret")

    async def run() -> tuple[list[str], list[str], list[str]]:
        client = AsyncMongoClient(f"mongodb://127.0.0.1:{port}/")
        fingerprints = client["classifier"]["fingerprints"]
        await fingerprints.create_index("bands")
        await fingerprints.create_index("keys")
        await fingerprints.insert_one(
            {
                "_id": "report-old",
                "bands": [Int64(b) for b in fingerprint.bands(signature)],
                "keys": [key],
                "signature": Binary(fingerprint.to_bytes(signature)),
                "version": fingerprint.FINGERPRINT_VERSION,
                "cluster_id": "report-old",
            }
        )
        index = FingerprintIndex(client["classifier"])
        await index.create_indexes()
        await index.create_indexes()  # a second start-up finds nothing left to move
        by_band, by_key = await index.candidates(
            [
                domain.Fingerprint("report-new", fingerprint.bands(signature), [], signature),
                domain.Fingerprint("report-other", [1, 2, 3], [key], signature),
            ]
        )
        names = [i["name"] async for i in await fingerprints.list_indexes()]
        await client.close()
        return (
            [c.report_id for c in by_band.candidates],
            [c.report_id for c in by_key.candidates],
            names,
        )

    try:
        by_band, by_key, names = asyncio.run(run())
    finally:
        server.stop()
    assert by_band == ["report-old"] and by_key == ["report-old"]
    assert "bands_1" not in names and "keys_1" not in names and "lookup_1" in names


def test_a_report_crowded_out_of_its_own_lookup_still_keeps_its_cluster(tmp_path: Path):
    """More than 200 reports share the report's bands, so its lookup may not return the report
    itself: its cluster (merged earlier) is still the one it reports, not its own id."""
    port = free_port()
    server = start_mongodb(port, tmp_path)
    signature = fingerprint.minhash(REPORT, b"test-linking-secret")
    bands = fingerprint.bands(signature)

    async def run() -> str | None:
        client = AsyncMongoClient(f"mongodb://127.0.0.1:{port}/")
        index = FingerprintIndex(client["classifier"])
        await index.create_indexes()
        crowd = [domain.Fingerprint(f"copy-{i:03d}", bands, [], signature) for i in range(250)]
        await index.add(crowd)
        mine = domain.Fingerprint("report-r", bands, [], signature)
        await index.add([mine])
        await index.fingerprints.update_one(
            {"_id": "report-r"}, {"$set": {"cluster_id": "cluster-merged-earlier"}}
        )
        (lookup,) = await index.candidates([mine])
        await client.close()
        assert len(lookup.candidates) >= 200
        return lookup.own_cluster

    try:
        own = asyncio.run(run())
    finally:
        server.stop()
    assert own == "cluster-merged-earlier"


def test_copies_of_one_report_sifted_at_once_by_several_replicas_share_one_cluster(
    tmp_path: Path,
):
    """Four replicas each sift a copy of the same report at the same moment, four times over
    (a fresh database each time): every time the four end in one cluster, every result names
    that cluster, and every link says which evidence made it. A redelivery changes nothing."""
    port = free_port()
    server = start_mongodb(port, tmp_path)
    uri = f"mongodb://127.0.0.1:{port}/"

    async def run() -> list[dict]:
        clients = [AsyncMongoClient(uri) for _ in range(4)]
        rounds = []
        for r in range(4):
            replicas = [FingerprintIndex(c[f"classifier_{r}"]) for c in clients]
            await replicas[0].create_indexes()
            ids = [f"copy-{r}-{i}" for i in range(4)]
            sifted = await asyncio.gather(
                *(
                    SIFTER.sift(rid, {"narrative": REPORT}, replica)
                    for rid, replica in zip(ids, replicas, strict=True)
                )
            )
            stored = await replicas[0].own_clusters(ids)
            redelivered = await SIFTER.sift(ids[2], {"narrative": REPORT}, replicas[3])
            rounds.append(
                {
                    "results": {result.cluster_id for result, _ in sifted},
                    "stored": set(stored.values()),
                    "members": await replicas[1].members(stored[ids[0]]),
                    "ids": ids,
                    "links": [details["links"] for _, details in sifted],
                    "redelivered": redelivered[0].cluster_id,
                    "after": set((await replicas[0].own_clusters(ids)).values()),
                }
            )
        for client in clients:
            await client.close()
        return rounds

    try:
        rounds = asyncio.run(run())
    finally:
        server.stop()
    for found in rounds:
        assert len(found["stored"]) == 1, found
        assert found["results"] == found["stored"]
        assert found["members"] == found["ids"]
        # The cluster is one of the copies, and the same cluster after a redelivery.
        (cluster,) = found["stored"]
        assert cluster in found["ids"]
        assert found["redelivered"] == cluster and found["after"] == {cluster}
        for links in found["links"]:
            for link in links:
                assert link["relation"] == "duplicate" and link["similarity"] >= 0.9
                assert "phone" in {k.split(":")[0] for k in link["shared_entities"]}
        # Each copy sifted after another one was stored links to it.
        assert sum(len(links) for links in found["links"]) >= 3


def test_a_batch_lookup_finds_for_each_report_what_its_own_lookup_finds(tmp_path: Path):
    """One query for the batch: each report gets the same earlier reports, in the same order,
    and the same own cluster, as when it is looked up alone, crowded bands and shared phones
    included."""
    port = free_port()
    server = start_mongodb(port, tmp_path)
    texts = [REPORT, RESENT, WITNESS, "深圳有个传销组织专骗退休教师的养老钱，据说已经骗了几百人。"]
    signatures = [fingerprint.minhash(text, b"test-linking-secret") for text in texts]
    phone = domain.hidden_key("phone:13807315566", b"test-linking-secret")

    def print_of(report_id: str, n: int, keys: list[str]) -> domain.Fingerprint:
        return domain.Fingerprint(report_id, fingerprint.bands(signatures[n]), keys, signatures[n])

    async def run() -> tuple[list[Any], list[Any]]:
        client = AsyncMongoClient(f"mongodb://127.0.0.1:{port}/")
        index = FingerprintIndex(client["classifier"])
        await index.create_indexes()
        # 230 copies of one wording (a crowded band), a few earlier reports of each kind.
        await index.add([print_of(f"copy-{i:03d}", 0, []) for i in range(230)])
        await index.add([print_of(f"earlier-{n}", n, [phone] if n else []) for n in range(4)])
        batch = [
            print_of("new-a", 0, [phone]),  # crowded, with a phone others share
            print_of("new-b", 1, []),
            print_of("new-c", 2, [phone]),
            print_of("new-d", 3, ["phone:unshared"]),
        ]
        await index.add(batch)
        together = await index.candidates(batch)
        alone = [(await index.candidates([fp]))[0] for fp in batch]
        await client.close()
        return together, alone

    try:
        together, alone = asyncio.run(run())
    finally:
        server.stop()

    def seen(lookup: domain.Lookup) -> tuple[list[tuple[str, str]], str | None]:
        return [(c.report_id, c.cluster_id) for c in lookup.candidates], lookup.own_cluster

    assert [seen(lookup) for lookup in together] == [seen(lookup) for lookup in alone]
    crowded = {c.report_id for c in together[0].candidates}
    assert len(crowded) > 200 and {"earlier-1", "earlier-2", "new-c"} <= crowded  # the phone
    assert {c.report_id for c in together[3].candidates} == {"earlier-3"}
