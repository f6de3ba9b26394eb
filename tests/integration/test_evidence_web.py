"""Evidence files from the website, without JavaScript: a multipart form posted to intake's
/evidence, read as it streams, each file stored sealed like the JSON API's; the answer is a page
in the reader's language."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import httpx
from PIL import Image

from deploy.local.stack import Stack
from services.common import tracking_code
from tests.integration.helpers import mongo_client, submit, wait_for_stage
from tests.integration.test_evidence import (  # noqa: F401  (a fixture, used by name)
    PURPOSE,
    bearer,
    mp3,
    report_id_of,
    small_limits_intake,
)
from tests.unit.test_evidence import CANARY, jpeg_with_exif_and_gps, pdf_with_author


def attach(
    base_url: str, code: str, files: list[tuple[str, bytes, str]], lang: str = "en"
) -> httpx.Response:
    """As a browser sends the form: language and code first (page order), then the files."""
    return httpx.post(
        f"{base_url}/evidence",
        data={"lang": lang, "code": code},
        files=[("files", file) for file in files],
        timeout=60,
    )


def raw_documents(stack: Stack, report_id: str) -> bytes:
    """Everything MongoDB holds for a report's files, as bytes to search."""
    db = mongo_client(stack)["intake"]
    found = b""
    for document in db["evidence_files"].find({"report_id": report_id}):
        found += str(document).encode()
        for chunk in db["evidence_chunks"].find({"file_id": document["_id"]}):
            found += str(chunk).encode() + bytes(chunk["data"])
    return found


def problem_on(page: str) -> str:
    found = re.search(r'id="upload-problem"[^>]*>\s*<p>(.*?)</p>', page, re.S)
    assert found, "the page names the problem"
    return found.group(1)


def test_a_photo_attached_on_the_web_is_stored_without_gps_and_the_page_says_what_was_removed(
    stack: Stack,
):
    code = submit(stack).json()["tracking_code"]
    report_id = report_id_of(stack, code)
    photo = jpeg_with_exif_and_gps()
    name = f"{CANARY}-家门口.jpg"

    page = attach(stack.url("intake"), code, [(name, photo, "image/jpeg")], lang="zh")

    assert page.status_code == 201, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "文件已收到" in page.text
    assert "image/jpeg" in page.text and "GPS 位置" in page.text
    assert CANARY not in page.text and "家门口" not in page.text
    raw = raw_documents(stack, report_id)
    assert raw, "the file is in the database"
    assert CANARY.encode() not in raw and name.encode() not in raw
    assert quote(name).encode() not in raw
    assert b"\xff\xd8\xff" not in raw  # not even the JPEG's first bytes in the clear

    supervisor = stack.staff_token("supervisor", subject="sup-web")
    listed = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence",
        headers=bearer(supervisor),
        timeout=10,
    ).json()
    assert [item["type"] for item in listed] == ["image/jpeg"]
    download = httpx.get(
        f"{stack.url('intake')}/v1/staff/reports/{report_id}/evidence/{listed[0]['file_id']}",
        headers=bearer(supervisor, **PURPOSE),
        timeout=30,
    )
    assert download.status_code == 200, download.text
    assert quote(name) in download.headers["content-disposition"]  # the name, kept sealed
    opened = Image.open(io.BytesIO(download.content))
    assert not opened.getexif()
    assert opened.tobytes() == Image.open(io.BytesIO(photo)).tobytes()
    for process in stack.processes.values():
        assert CANARY not in process.log_text(), f"the file's name in the {process.name} log"
        assert code not in process.log_text(), f"the tracking code in the {process.name} log"


def test_several_files_in_one_form_each_get_their_own_line(stack: Stack):
    code = submit(stack).json()["tracking_code"]

    page = attach(
        stack.url("intake"),
        code,
        [("a.jpg", jpeg_with_exif_and_gps(), "image/jpeg"), ("b.pdf", pdf_with_author(), "")],
    )

    assert page.status_code == 201, page.text
    types = re.findall(r'<li data-type="([^"]+)"', page.text)
    assert types == ["image/jpeg", "application/pdf"]
    assert "document properties (author, title, software, dates)" in page.text
    # The page offers more files for the same report, the code in the body, not the address.
    assert f'name="code" value="{tracking_code.format_code(code)}"' in page.text or (
        f'name="code" value="{code}"' in page.text
    )


def test_an_unknown_code_gets_404_and_nothing_is_kept(stack: Stack):
    unknown = tracking_code.generate()
    page = attach(stack.url("intake"), unknown, [(f"{CANARY}.jpg", b"\xff\xd8\xff", "")])
    assert page.status_code == 404
    assert "No report matches this tracking code" in problem_on(page.text)
    assert CANARY not in page.text and unknown not in page.text


def test_a_program_is_refused_with_422_naming_what_is_accepted(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    report_id = report_id_of(stack, code)
    page = attach(stack.url("intake"), code, [(f"{CANARY}.exe", b"MZ\x90\x00" + b"\0" * 4000, "")])
    assert page.status_code == 422
    assert "cannot be accepted" in problem_on(page.text)
    assert CANARY not in page.text
    assert raw_documents(stack, report_id) == b""


def test_the_code_must_come_before_the_files(stack: Stack):
    code = submit(stack).json()["tracking_code"]
    report_id = report_id_of(stack, code)
    boundary = "TiplineTestBoundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body += jpeg_with_exif_and_gps() + b"\r\n"
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="code"\r\n\r\n{code}\r\n'
        f"--{boundary}--\r\n"
    ).encode()

    page = httpx.post(
        f"{stack.url('intake')}/evidence?lang=en",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=30,
    )

    assert page.status_code == 422
    assert "the tracking code must come before the files" in problem_on(page.text)
    assert 'data-field="code"' in page.text
    assert raw_documents(stack, report_id) == b""


def test_limits_answer_413_and_422_in_the_readers_language(
    stack: Stack,
    small_limits_intake: str,  # noqa: F811
):
    code = submit(stack).json()["tracking_code"]
    report_id = report_id_of(stack, code)

    too_big = attach(small_limits_intake, code, [("big.mp3", mp3(150_001), "audio/mpeg")])
    assert too_big.status_code == 413
    assert "A file can be at most 150000 bytes" in problem_on(too_big.text)
    zh = attach(small_limits_intake, code, [("big.mp3", mp3(150_001), "audio/mpeg")], lang="zh")
    assert zh.status_code == 413 and "文件太大" in problem_on(zh.text)
    assert raw_documents(stack, report_id) == b""

    # Three files fit; a fourth in the same form is refused, and the page lists the three.
    files = [(f"{n}.mp3", mp3(1_000), "audio/mpeg") for n in range(4)]
    page = attach(small_limits_intake, code, files)
    assert page.status_code == 422
    assert "at most 3 files" in problem_on(page.text)
    assert len(re.findall(r'<li data-type="audio/mpeg"', page.text)) == 3
    assert "were not stored" in page.text
    assert "may still hold hidden information" in page.text  # what could not be removed

    # A form larger than the report may hold in all is refused before it is read.
    huge = attach(small_limits_intake, code, [("huge.mp3", mp3(300_000), "audio/mpeg")])
    assert huge.status_code == 413


def test_the_upload_page_takes_a_typed_code_and_the_status_page_offers_files(stack: Stack):
    intake = stack.url("intake")
    blank = httpx.get(f"{intake}/evidence?lang=en", timeout=10)
    assert blank.status_code == 200
    assert 'enctype="multipart/form-data"' in blank.text and 'id="attach-code"' in blank.text

    code = submit(stack).json()["tracking_code"]
    wait_for_stage(stack, code, "received")  # the tracker opens the case a moment later
    status = httpx.post(
        f"{stack.url('tracker')}/status", data={"code": code, "lang": "en"}, timeout=10
    )
    assert status.status_code == 200
    assert f'action="{intake}/evidence"' in status.text
    assert "form-action 'self' " + intake in status.headers["content-security-policy"]
