"""Evidence files end to end: a reporter attaches files through the tracking code; they rest
sealed in MongoDB; only an in-scope investigator or a supervisor downloads them, and only after
the read is on the audit topic."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import zipfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from PIL import Image

from deploy.local.stack import Stack, wait_until
from services.common import mongo, topics, tracking_code
from services.common.events import utcnow
from services.common.keys import rotate
from services.common.settings import KeyringSettings
from services.intake.evidence.adapters import EvidenceLimits, EvidenceStore
from tests.integration.helpers import (
    mongo_client,
    read_topic,
    report_id_of,
    second_instance,
    submit,
    wait_for_stage,
)
from tests.unit.test_evidence import (
    CANARY,
    docx_with_creator,
    jpeg_with_exif_and_gps,
    pdf_with_author,
)

PURPOSE = {"X-Access-Purpose": "checking the photo of the ledger for case work"}


def scope_of(stack: Stack, report_id: str) -> dict[str, str | None]:
    found = mongo_client(stack)["intake"]["reports"].find_one({"_id": report_id})
    return dict((found or {}).get("scope") or {})


def upload(
    base_url: str, code: str, content: bytes, content_type: str, name: str | None = None
) -> httpx.Response:
    headers = {"X-Tracking-Code": code, "Content-Type": content_type}
    if name is not None:
        headers["X-Filename"] = quote(name)
    return httpx.post(f"{base_url}/v1/evidence", content=content, headers=headers, timeout=30)


def bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


@pytest.fixture(scope="module")
def routed_report(stack: Stack) -> tuple[str, str]:
    """A report the classifier has placed in a province (intake learns it from the event)."""
    code = submit(stack).json()["tracking_code"]
    report_id = report_id_of(stack, code)
    wait_until(lambda: bool(scope_of(stack, report_id).get("province")), 30, "report placed")
    return code, report_id


@pytest.fixture(scope="module")
def province(stack: Stack, routed_report: tuple[str, str]) -> str:
    return str(scope_of(stack, routed_report[1])["province"])


def test_a_photo_is_stored_sealed_and_an_in_scope_investigator_downloads_it_without_gps(
    stack: Stack, routed_report: tuple[str, str], province: str
):
    code, report_id = routed_report
    photo = jpeg_with_exif_and_gps()
    name = f"{CANARY}-家门口.jpg"

    answer = upload(stack.url("intake"), code, photo, "image/jpeg", name)

    assert answer.status_code == 201, answer.text
    accepted = answer.json()
    assert accepted["type"] == "image/jpeg"
    assert "GPS" in accepted["note"]
    assert answer.headers["cache-control"] == "no-store"
    file_id = accepted["file_id"]

    db = mongo_client(stack)["intake"]
    file_document = db["evidence_files"].find_one({"_id": file_id})
    assert file_document["complete"] is True and file_document["report_id"] == report_id
    chunks = list(db["evidence_chunks"].find({"file_id": file_id}))
    assert len(chunks) == file_document["chunk_count"] >= 1
    for document in [file_document, *chunks]:
        raw = str(document).encode() + b"".join(
            bytes(v) for v in document.values() if isinstance(v, bytes)
        )
        assert CANARY.encode() not in raw and name.encode() not in raw
        assert b"\xff\xd8\xff" not in raw  # not even the JPEG's first bytes in the clear

    investigator = stack.staff_token("investigator", subject="inv-hunan", provinces=[province])
    listed = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence",
        headers=bearer(investigator),
        timeout=10,
    )
    assert listed.status_code == 200
    assert [(f["file_id"], f["type"]) for f in listed.json()] == [(file_id, "image/jpeg")]
    assert CANARY not in listed.text

    download = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence/{file_id}",
        headers=bearer(investigator, **PURPOSE),
        timeout=30,
    )
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "image/jpeg"
    assert quote(name) in download.headers["content-disposition"]
    assert CANARY.encode() not in download.content
    opened = Image.open(io.BytesIO(download.content))
    assert not opened.getexif()
    assert opened.tobytes() == Image.open(io.BytesIO(photo)).tobytes()

    def access_recorded() -> bool:
        for message in read_topic(stack, topics.ACCESS):
            data = json.loads(message.value)["data"]
            if data["report_id"] == report_id and f"file:{file_id}" in data["fields"]:
                assert (
                    data["staff"] == "inv-hunan" and data["purpose"] == PURPOSE["X-Access-Purpose"]
                )
                return True
        return False

    wait_until(access_recorded, 20, "the access event on tipline.access")
    for process in stack.processes.values():
        assert CANARY not in process.log_text(), f"the file's name in the {process.name} log"


def test_a_large_video_streams_through_in_many_chunks_and_comes_back_byte_for_byte(
    stack: Stack, routed_report: tuple[str, str]
):
    code, report_id = routed_report
    # An MP4 header ("ftyp") followed by 300 KiB: several 64 KiB chunks, sent in pieces.
    video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 1200

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(video), 10_000):
            yield video[start : start + 10_000]

    answer = httpx.post(
        f"{stack.url('intake')}/v1/evidence",
        content=pieces(),
        headers={"X-Tracking-Code": code, "Content-Type": "video/mp4"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["metadata_kept"]  # the reporter is told video metadata stays
    file_id = answer.json()["file_id"]
    stored = mongo_client(stack)["intake"]["evidence_files"].find_one({"_id": file_id})
    assert stored["chunk_count"] == 5

    supervisor = stack.staff_token("supervisor")
    with httpx.stream(
        "GET",
        f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence/{file_id}",
        headers=bearer(supervisor, **PURPOSE),
        timeout=30,
    ) as download:
        assert download.status_code == 200
        assert b"".join(download.iter_bytes()) == video


def test_documents_lose_their_author_before_storage(stack: Stack, routed_report):
    code, report_id = routed_report
    supervisor = stack.staff_token("supervisor")
    for content, kind in ((pdf_with_author(), "application/pdf"), (docx_with_creator(), None)):
        answer = upload(stack.url("intake"), code, content, kind or "application/octet-stream")
        assert answer.status_code == 201, answer.text
        assert any("author" in item for item in answer.json()["metadata_removed"])
        got = httpx.get(
            f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence/"
            f"{answer.json()['file_id']}",
            headers=bearer(supervisor, **PURPOSE),
            timeout=30,
        )
        assert got.status_code == 200 and CANARY.encode() not in got.content
        if kind is None:
            assert got.headers["content-type"].endswith("wordprocessingml.document")
            assert zipfile.ZipFile(io.BytesIO(got.content)).testzip() is None


def test_staff_without_scope_role_or_purpose_are_refused_and_nothing_is_recorded(
    stack: Stack, routed_report: tuple[str, str], province: str
):
    code, report_id = routed_report
    file_id = upload(stack.url("intake"), code, jpeg_with_exif_and_gps(), "image/jpeg").json()[
        "file_id"
    ]
    url = f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence/{file_id}"
    elsewhere = stack.staff_token("investigator", provinces=["广东"], teams=["team-shenzhen"])
    in_scope = stack.staff_token("investigator", provinces=[province])

    assert httpx.get(url, headers=PURPOSE, timeout=10).status_code == 401
    assert httpx.get(url, headers=bearer("not-a-token", **PURPOSE), timeout=10).status_code == 401
    for role in ("analyst", "auditor", "clerk"):
        refused = httpx.get(url, headers=bearer(stack.staff_token(role), **PURPOSE), timeout=10)
        assert refused.status_code == 403, role
    out_of_scope = httpx.get(url, headers=bearer(elsewhere, **PURPOSE), timeout=10)
    unknown = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/no-such-report/evidence/{file_id}",
        headers=bearer(elsewhere, **PURPOSE),
        timeout=10,
    )
    # The same answer for a report outside the scope and one that does not exist.
    assert out_of_scope.status_code == unknown.status_code == 403
    assert out_of_scope.json() == unknown.json()
    no_purpose = httpx.get(url, headers=bearer(in_scope), timeout=10)
    assert no_purpose.status_code == 422
    assert no_purpose.json()["detail"][0]["field"] == "X-Access-Purpose"
    assert httpx.get(url, headers=bearer(in_scope, **PURPOSE), timeout=10).status_code == 200

    reads = [
        json.loads(m.value)["data"]
        for m in read_topic(stack, topics.ACCESS)
        if f"file:{file_id}" in json.loads(m.value)["data"]["fields"]
    ]
    assert len(reads) == 1  # only the one permitted read


def test_a_report_with_no_province_or_team_is_out_of_scope_for_every_investigator(
    stack: Stack,
):
    unplaced = {"channel": "web", "narrative": "有人每天晚上往河里倒废料，味道很难闻，鱼都死了。"}
    code = submit(stack, unplaced).json()["tracking_code"]
    report_id = report_id_of(stack, code)
    wait_for_stage(stack, code, "classified")
    assert not scope_of(stack, report_id).get("province")  # nothing placed it anywhere
    assert upload(stack.url("intake"), code, jpeg_with_exif_and_gps(), "image/jpeg").is_success
    investigator = stack.staff_token("investigator", provinces=["湖南", "广东"], teams=["t"])
    listed = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence",
        headers=bearer(investigator),
        timeout=10,
    )
    assert listed.status_code == 403
    supervisor = stack.staff_token("supervisor")
    listed = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence",
        headers=bearer(supervisor),
        timeout=10,
    )
    assert listed.status_code == 200 and len(listed.json()) == 1


def test_an_unknown_code_gets_the_trackers_answer_and_a_program_is_refused(
    stack: Stack, routed_report: tuple[str, str]
):
    code, _ = routed_report
    wrong = tracking_code.generate()
    unknown = upload(stack.url("intake"), wrong, jpeg_with_exif_and_gps(), "image/jpeg")
    tracker_answer = httpx.get(f"{stack.url('tracker')}/v1/track/{wrong}", timeout=10)
    assert unknown.status_code == tracker_answer.status_code == 404
    assert unknown.json() == tracker_answer.json()
    assert wrong not in unknown.text

    program = upload(stack.url("intake"), code, b"MZ\x90\x00" + b"\x00" * 500, "image/jpeg")
    assert program.status_code == 422
    assert program.json()["detail"][0]["field"] == "body"
    bad_name = httpx.post(
        f"{stack.url('intake')}/v1/evidence",
        content=mp3(100),
        headers={"X-Tracking-Code": code, "X-Filename": "%FF%FE"},
        timeout=10,
    )
    assert bad_name.status_code == 422
    assert bad_name.json()["detail"][0]["field"] == "X-Filename"
    lying = upload(stack.url("intake"), code, pdf_with_author(), "image/jpeg")
    assert lying.status_code == 422 and "application/pdf" in lying.text


@pytest.fixture(scope="module")
def small_limits_intake(stack: Stack) -> Iterator[str]:
    """A second intake on the same infrastructure, with limits small enough to reach."""
    limits = {
        "EVIDENCE_MAX_FILE_BYTES": "150000",
        "EVIDENCE_MAX_REPORT_BYTES": "200000",
        "EVIDENCE_MAX_FILES_PER_REPORT": "3",
        "EVIDENCE_MAX_DOCUMENT_BYTES": "20000",
        "LOOKUP_FREE_FAILURES": "1",
        "LOOKUP_MAX_DELAY_SECONDS": "0.05",
    }
    with second_instance(stack, "intake", limits, name="intake-small-limits") as own:
        yield own.url("intake")


def mp3(size: int) -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x01" * (size - 10)


def test_limits_answer_413_and_422_and_leave_nothing_behind(stack: Stack, small_limits_intake: str):
    code = submit(stack).json()["tracking_code"]
    report_id = report_id_of(stack, code)
    files = mongo_client(stack)["intake"]["evidence_files"]
    chunks = mongo_client(stack)["intake"]["evidence_chunks"]

    too_big = upload(small_limits_intake, code, mp3(150_001), "audio/mpeg")
    assert too_big.status_code == 413
    assert "150000 bytes" in too_big.json()["detail"][0]["reason"]

    def streamed() -> Iterator[bytes]:  # no Content-Length: caught while streaming
        yield mp3(100_000)
        yield b"\x01" * 60_000

    cut = httpx.post(
        f"{small_limits_intake}/v1/evidence",
        content=streamed(),
        headers={"X-Tracking-Code": code, "Content-Type": "audio/mpeg"},
        timeout=30,
    )
    assert cut.status_code == 413
    big_document = upload(small_limits_intake, code, pdf_with_author() + b"\n" * 30_000, "")
    assert big_document.status_code == 413
    assert "PDF and office documents" in big_document.json()["detail"][0]["reason"]
    assert files.count_documents({"report_id": report_id}) == 0
    assert chunks.count_documents({}) == sum(
        f["chunk_count"] for f in files.find({"complete": True})
    )

    assert upload(small_limits_intake, code, mp3(120_000), "audio/mpeg").status_code == 201
    over_report = upload(small_limits_intake, code, mp3(90_000), "audio/mpeg")
    assert over_report.status_code == 413 and "together" in over_report.text
    assert upload(small_limits_intake, code, mp3(30_000), "audio/mpeg").status_code == 201
    assert upload(small_limits_intake, code, mp3(20_000), "audio/mpeg").status_code == 201
    too_many = upload(small_limits_intake, code, mp3(1_000), "audio/mpeg")
    assert too_many.status_code == 422 and "at most 3 files" in too_many.text
    assert files.count_documents({"report_id": report_id, "complete": True}) == 3
    assert files.count_documents({"report_id": report_id, "complete": False}) == 0


def test_a_file_moved_or_spliced_in_the_database_does_not_open(
    stack: Stack, routed_report: tuple[str, str]
):
    code, report_id = routed_report
    other_code = submit(stack).json()["tracking_code"]
    other_report = report_id_of(stack, other_code)
    mine = upload(stack.url("intake"), code, mp3(5_000), "audio/mpeg").json()["file_id"]
    spliced = upload(stack.url("intake"), code, mp3(5_000), "audio/mpeg").json()["file_id"]
    moved = upload(stack.url("intake"), code, mp3(5_000), "audio/mpeg").json()["file_id"]
    db = mongo_client(stack)["intake"]
    # A chunk copied from another file of the same report, and a file claimed by another report.
    data = db["evidence_chunks"].find_one({"_id": f"{mine}:0"})["data"]
    db["evidence_chunks"].update_one({"_id": f"{spliced}:0"}, {"$set": {"data": data}})
    db["evidence_files"].update_one({"_id": moved}, {"$set": {"report_id": other_report}})
    supervisor = stack.staff_token("supervisor")

    for owner, file_id in ((report_id, spliced), (other_report, moved)):
        got = httpx.get(
            f"{stack.url('intake')}/v1/staff/reports/{owner}/evidence/{file_id}",
            headers=bearer(supervisor, **PURPOSE),
            timeout=10,
        )
        assert got.status_code == 500 and got.json()["error"] == "cannot_open"
        assert b"ID3" not in got.content


def test_an_upload_cut_off_by_the_reporter_leaves_no_half_file(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    report_id = report_id_of(stack, code)
    files = mongo_client(stack)["intake"]["evidence_files"]
    with socket.create_connection(("127.0.0.1", stack.ports["intake"]), timeout=10) as client:
        client.sendall(
            b"POST /v1/evidence HTTP/1.1\r\nHost: intake\r\nContent-Type: audio/mpeg\r\n"
            + f"X-Tracking-Code: {code}\r\nContent-Length: 400000\r\n\r\n".encode()
            + mp3(200_000)
        )
        wait_until(
            lambda: files.count_documents({"report_id": report_id}) == 1, 20, "upload started"
        )
    wait_until(
        lambda: files.count_documents({"report_id": report_id}) == 0, 20, "the half file removed"
    )
    stored_ids = {doc["_id"] for doc in files.find({}, {"_id": 1})}
    chunks = mongo_client(stack)["intake"]["evidence_chunks"]
    assert all(chunk["file_id"] in stored_ids for chunk in chunks.find({}, {"file_id": 1}))


def test_the_sweep_removes_uploads_a_crash_left_incomplete(stack: Stack):
    db = mongo_client(stack)["intake"]
    db["evidence_files"].insert_many(
        [
            {
                "_id": "crashed",
                "report_id": "r",
                "complete": False,
                "started_at": utcnow() - timedelta(hours=2),
            },
            {"_id": "in-flight", "report_id": "r", "complete": False, "started_at": utcnow()},
        ]
    )
    db["evidence_chunks"].insert_one({"_id": "crashed:0", "file_id": "crashed", "data": b"x"})

    async def sweep() -> int:
        client = mongo.connect(stack.mongodb_uri)
        keyring = KeyringSettings(TIPLINE_KEYRING_FILE=stack.secrets["TIPLINE_KEYRING_FILE"])
        try:
            return await EvidenceStore(client["intake"], keyring.keyring()).remove_abandoned(
                timedelta(hours=1)
            )
        finally:
            await client.close()

    assert asyncio.run(sweep()) == 1
    assert db["evidence_files"].find_one({"_id": "crashed"}) is None
    assert db["evidence_chunks"].find_one({"_id": "crashed:0"}) is None
    assert db["evidence_files"].find_one({"_id": "in-flight"}) is not None
    db["evidence_files"].delete_one({"_id": "in-flight"})


def test_key_rotation_rewraps_evidence_keys_and_the_file_still_opens(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
):
    # A database of its own, so the running services' keys are not rotated under them.
    # Every database that keeps wrapped keys points at it: rotation must not touch the others.
    for variable in ("INTAKE_DATABASE", "TRACKER_DATABASE", "CLASSIFIER_DATABASE"):
        monkeypatch.setenv(variable, "intake-rotation-test")
    old = KeyringSettings(TIPLINE_KEYRING_FILE=stack.secrets["TIPLINE_KEYRING_FILE"]).keyring()
    new = old.with_new_key("rotated-1")
    content = mp3(150_000)
    limits = EvidenceLimits(10**6, 10**7, 5, 10**6)

    async def pieces() -> AsyncIterator[bytes]:
        yield content

    async def scenario() -> bytes:
        client = mongo.connect(stack.mongodb_uri)
        try:
            stored = await EvidenceStore(client["intake-rotation-test"], old).attach(
                "report-r", pieces(), limits
            )
            counts = await rotate(client, new)
            assert counts["intake-rotation-test.evidence_files"] == 1
            after = EvidenceStore(client["intake-rotation-test"], new.without(old.active_id))
            document = await after.file("report-r", stored.file_id)
            assert document is not None and document["data_key"]["kid"] == "rotated-1"
            chunks = after.read(document, after.open_key(document))
            return b"".join([chunk async for chunk in chunks])
        finally:
            await client.drop_database("intake-rotation-test")
            await client.close()

    assert asyncio.run(scenario()) == content


def test_uploads_racing_for_the_last_places_never_overshoot_the_limits(
    stack: Stack, small_limits_intake: str
):
    code = submit(stack).json()["tracking_code"]
    report_id = report_id_of(stack, code)
    files = mongo_client(stack)["intake"]["evidence_files"]

    def attach(size: int) -> int:
        return upload(small_limits_intake, code, mp3(size), "audio/mpeg").status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(attach, [20_000] * 6))

    assert sorted(answers) == [201, 201, 201, 422, 422, 422]
    assert files.count_documents({"report_id": report_id}) == 3

    other = submit(stack).json()["tracking_code"]
    other_id = report_id_of(stack, other)
    with ThreadPoolExecutor(max_workers=3) as pool:
        sizes = list(
            pool.map(
                lambda size: upload(small_limits_intake, other, mp3(size), "audio/mpeg"),
                [90_000, 90_000, 90_000],
            )
        )
    assert sorted(answer.status_code for answer in sizes) == [201, 201, 413]
    stored = sum(doc["size"] for doc in files.find({"report_id": other_id, "complete": True}))
    assert stored == 180_000  # within the 200,000 bytes a report may hold


def test_guessing_codes_through_the_upload_is_slowed_like_the_tracker(
    stack: Stack, small_limits_intake: str
):
    code = submit(stack).json()["tracking_code"]
    before = metric_at(small_limits_intake, "tipline_lookup_throttled_total")
    answers = [
        upload(small_limits_intake, tracking_code.generate(), mp3(100), "audio/mpeg")
        for _ in range(4)
    ]
    assert [answer.status_code for answer in answers] == [404] * 4
    assert len({answer.text for answer in answers}) == 1  # every miss looks the same
    assert metric_at(small_limits_intake, "tipline_lookup_throttled_total") >= before + 2
    # The reporter with the right code still gets through.
    assert upload(small_limits_intake, code, mp3(100), "audio/mpeg").status_code == 201


def metric_at(base_url: str, name: str) -> float:
    for line in httpx.get(f"{base_url}/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split(" ")[1])
    return 0.0
