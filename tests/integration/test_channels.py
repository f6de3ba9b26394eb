"""Every channel ends at the same intake path: the website without JavaScript, QR posters,
staff entry of calls and letters, and the WeChat and Weibo webhooks."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from deploy.local.stack import Stack
from services.common import topics, tracking_code
from services.common.crypto import Keyring
from services.intake.reports.domain import open_report
from tests.integration.helpers import (
    code_hash_of,
    mongo_client,
    read_topic,
    second_instance,
    wait_for_stage,
)

NARRATIVE = "村霸强收保护费，不交就打人。镇上每家店每月都要交五百元。"


# Sends reports without following each to its end: the next module starts with none in flight.
pytestmark = pytest.mark.usefixtures("all_classified_afterwards")


def code_on(page: str) -> str:
    found = re.search(r'id="tracking-code"[^>]*>\s*([^<\s]+)\s*<', page)
    assert found, "no tracking code on the page"
    return found.group(1)


def submitted_event(stack: Stack, code: str) -> dict[str, Any]:
    code_hash = code_hash_of(stack, code)
    for message in read_topic(stack, topics.REPORT_SUBMITTED):
        event = json.loads(message.value)
        if event["data"]["tracking_code_hash"] == code_hash:
            return dict(event)
    raise AssertionError("no submitted event for this code")


def stored_report(stack: Stack, event: dict[str, Any]) -> dict[str, Any]:
    document = mongo_client(stack)["intake"]["reports"].find_one({"_id": event["subject"]})
    assert document is not None
    assert "narrative" not in document  # sealed at rest: opened here with the stack's keyring
    keyring = Keyring.from_file(Path(stack.secrets["TIPLINE_KEYRING_FILE"]))
    return open_report(dict(document), keyring, ["content"])


# --- the website, without JavaScript -------------------------------------------------------


def test_the_form_works_without_javascript_and_shows_the_code_once(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("intake"), timeout=15) as browser:
        form = browser.get("/")
        assert form.status_code == 200
        csp = form.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert form.headers["cache-control"] == "no-store"
        assert "http" not in re.sub(r'href="/|src="/|action="/', "", form.text).replace(
            "http-equiv", ""
        ), "the page loads nothing from another site"
        answer = browser.post(
            "/report",
            data={"narrative": NARRATIVE, "location.city": "长沙", "lang": "zh"},
        )
    assert answer.status_code == 201
    code = code_on(answer.text)
    assert tracking_code.normalize(code) is not None
    # Nothing leads away from the code: the language switch posts it back (never in an address).
    assert 'action="/report/code"' in answer.text
    assert all(code not in href for href in re.findall(r'href="([^"]*)"', answer.text))
    event = submitted_event(stack, code)
    assert event["data"]["channel"] == "web"
    assert stored_report(stack, event)["location"] == {"city": "长沙"}
    wait_for_stage(stack, code, "classified")


def test_the_whole_form_weighs_less_than_a_small_photo(stack: Stack) -> None:
    """What a slow phone downloads to show the form: the page, its stylesheet and scripts."""
    intake = stack.url("intake")
    sizes = {
        path: len(httpx.get(f"{intake}{path}", timeout=10).content)
        for path in ("/", "/static/site.css", "/static/report.js", "/static/pow-worker.js")
    }
    assert sum(sizes.values()) < 25_000, sizes


def test_a_reload_of_the_sent_form_gives_the_same_code_not_a_second_report(stack: Stack) -> None:
    fields = {"narrative": NARRATIVE, "submission_id": "reload-test-3f9a1c", "lang": "en"}
    first = httpx.post(f"{stack.url('intake')}/report", data=fields, timeout=15)
    again = httpx.post(f"{stack.url('intake')}/report", data=fields, timeout=15)
    assert first.status_code == again.status_code == 201
    assert code_on(first.text) == code_on(again.text)


def test_each_invalid_field_is_named_in_the_page_in_the_readers_language(stack: Stack) -> None:
    answer = httpx.post(
        f"{stack.url('intake')}/report",
        data={"narrative": "短", "contact.email": "not-an-email", "lang": "zh"},
        timeout=15,
    )
    assert answer.status_code == 422
    assert 'id="narrative-error"' in answer.text and "至少需要 10 个字" in answer.text
    assert 'id="contact-email-error"' in answer.text
    assert "<details open>" in answer.text  # the contact section opens to show its error
    assert "not-an-email" in answer.text  # kept in its field, so it can be corrected
    assert 'id="tracking-code"' not in answer.text
    # The language switch on the answered form leads back to a form, never to an error.
    again = httpx.get(f"{stack.url('intake')}/report?lang=en", follow_redirects=True, timeout=10)
    assert again.status_code == 200 and "Report anonymously" in again.text


def test_the_status_page_takes_the_code_by_post_and_tells_a_typo_from_an_unknown_code(
    stack: Stack,
) -> None:
    tracker = stack.url("tracker")
    typo = httpx.post(f"{tracker}/status", data={"code": "ABC-DEF", "lang": "en"}, timeout=10)
    assert typo.status_code == 422 and "typo" in typo.text
    unknown = httpx.post(
        f"{tracker}/status", data={"code": tracking_code.generate(), "lang": "en"}, timeout=10
    )
    assert unknown.status_code == 404 and "No report matches" in unknown.text
    assert unknown.headers["referrer-policy"] == "no-referrer"
    assert unknown.headers["cache-control"] == "no-store"


def hidden_fields(page: str, form_marker: str) -> dict[str, str]:
    """The hidden fields of the page's form whose tag contains `form_marker`."""
    found = re.search(r"<form[^>]*" + re.escape(form_marker) + r"[^>]*>(.*?)</form>", page, re.S)
    assert found, f"no form with {form_marker} on the page"
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', found.group(1)))


def test_the_code_page_switches_language_keeping_the_code_out_of_any_address(
    stack: Stack,
) -> None:
    intake = stack.url("intake")
    shown = httpx.post(f"{intake}/report", data={"narrative": NARRATIVE, "lang": "zh"}, timeout=15)
    assert shown.status_code == 201 and "举报已收到" in shown.text
    code = code_on(shown.text)
    switch = hidden_fields(shown.text, 'action="/report/code"')
    assert switch["code"] == code and switch["lang"] == "en"
    english = httpx.post(f"{intake}/report/code", data=switch, timeout=10)
    assert english.status_code == 200
    assert code_on(english.text) == code and "Your report was received" in english.text
    assert hidden_fields(english.text, 'action="/report/code"')["lang"] == "zh"  # and back
    # Only intake's own code page can ask: another site cannot make it show a code it chose.
    forged = {**switch, "code": tracking_code.generate()}
    refused = httpx.post(f"{intake}/report/code", data=forged, timeout=10)
    assert refused.status_code == 303 and forged["code"] not in refused.text


def test_the_status_pages_language_switch_keeps_the_case_on_screen(stack: Stack) -> None:
    code = httpx.post(
        f"{stack.url('intake')}/v1/reports",
        json={"channel": "web", "narrative": NARRATIVE},
        timeout=15,
    ).json()["tracking_code"]
    wait_for_stage(stack, code, "received")
    tracker = stack.url("tracker")
    chinese = httpx.post(f"{tracker}/status", data={"code": code, "lang": "zh"}, timeout=10)
    assert chinese.status_code == 200 and 'id="current-stage"' in chinese.text
    assert all(code not in href for href in re.findall(r'href="([^"]*)"', chinese.text))
    switch = hidden_fields(chinese.text, 'class="language-switch"')
    assert switch == {"code": code, "lang": "en"}
    english = httpx.post(f"{tracker}/status", data=switch, timeout=10)
    assert english.status_code == 200 and 'id="current-stage"' in english.text
    assert "Current stage" in english.text and "Received" in english.text


def test_an_empty_code_box_is_asked_for_not_called_a_typo(stack: Stack) -> None:
    for typed in ("", "   "):
        answer = httpx.post(
            f"{stack.url('tracker')}/status", data={"code": typed, "lang": "en"}, timeout=10
        )
        assert answer.status_code == 422
        assert "Enter your tracking code." in answer.text and "typo" not in answer.text


def test_an_oversized_form_gets_the_page_with_the_error_not_raw_json(stack: Stack) -> None:
    # The form's own language field is in the part not read: the page speaks the language the
    # reporter chose with the switch (its cookie).
    english = {"lang": "en"}
    report = httpx.post(
        f"{stack.url('intake')}/report",
        data={"narrative": "x" * (600 * 1024), "lang": "en"},
        cookies=english,
        timeout=15,
    )
    assert report.status_code == 413
    assert report.headers["content-type"].startswith("text/html")
    assert "Too much to send at once" in report.text and "512 KB" in report.text
    assert 'href="/?lang=en"' in report.text  # back to the form
    status = httpx.post(
        f"{stack.url('tracker')}/status/message",
        data={"code": tracking_code.generate(), "text": "x" * (70 * 1024), "lang": "en"},
        cookies=english,
        timeout=15,
    )
    assert status.status_code == 413
    assert status.headers["content-type"].startswith("text/html")
    assert "over the 64 KB limit" in status.text and 'id="code"' in status.text


def test_each_service_root_names_the_service_and_its_main_addresses(stack: Stack) -> None:
    tracker = stack.url("tracker")
    page = httpx.get(f"{tracker}/?lang=en", headers={"accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'href="/status?lang=en"' in page.text and 'href="/docs"' in page.text
    assert 'id="report-site-link"' in page.text
    for service in ("tracker", "audit", "classifier"):
        index = httpx.get(f"{stack.url(service)}/", timeout=10)
        assert index.status_code == 200, service
        body = index.json()
        assert body["service"] == service and body["summary"]
        docs = httpx.get(stack.url(service) + body["links"]["api_docs"], timeout=10)
        assert docs.status_code == 200 and 'id="swagger-ui"' in docs.text, service
    links = httpx.get(f"{tracker}/", timeout=10).json()["links"]
    assert links["status_page"] == "/status"
    assert links["reporting_site"] == stack.url("intake")


def test_every_service_serves_its_api_docs_itself(stack: Stack) -> None:
    for service in ("intake", "classifier", "tracker", "audit"):
        base = stack.url(service)
        page = httpx.get(f"{base}/docs", timeout=10)
        assert page.status_code == 200, service
        assert "script-src 'self'" in page.headers["content-security-policy"]
        addresses = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert addresses and all(a.startswith("/docs/static/") for a in addresses), addresses
        for address in addresses:
            assert httpx.get(base + address, timeout=10).status_code == 200, (service, address)
        assert httpx.get(f"{base}/openapi.json", timeout=10).json()["paths"], service
    classifier = httpx.get(f"{stack.url('classifier')}/openapi.json", timeout=10).json()
    assert "/v1/staff/reports/{report_id}/classification" in classifier["paths"]


# --- QR codes --------------------------------------------------------------------------------


def test_a_poster_qr_code_opens_the_form_and_the_report_records_qr_and_campaign(
    stack: Stack,
) -> None:
    svg = httpx.get(f"{stack.url('intake')}/qr.svg", params={"campaign": "metro-line-2"})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<svg")
    png = httpx.get(f"{stack.url('intake')}/qr.png", params={"campaign": "metro-line-2"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    bad = httpx.get(f"{stack.url('intake')}/qr.svg", params={"campaign": "Free text!"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "query.campaign"

    with httpx.Client(base_url=stack.url("intake"), timeout=15) as browser:
        landing = browser.get("/", params={"via": "qr", "campaign": "metro-line-2"})
        assert 'name="campaign" value="metro-line-2"' in landing.text
        assert 'name="via" value="qr"' in landing.text
        # Switching language keeps the poster's campaign.
        assert "?via=qr&amp;campaign=metro-line-2&amp;lang=en" in landing.text
        answer = browser.post(
            "/report",
            data={"narrative": NARRATIVE, "campaign": "metro-line-2", "via": "qr", "lang": "zh"},
        )
        # A poster without a campaign still counts as a QR report.
        plain = browser.get("/", params={"via": "qr"})
        assert 'name="via" value="qr"' in plain.text and 'name="campaign"' not in plain.text
    assert answer.status_code == 201
    event = submitted_event(stack, code_on(answer.text))
    assert event["data"]["channel"] == "qr"
    assert event["data"]["campaign"] == "metro-line-2"


def test_the_qr_command_writes_svg_and_png_for_a_campaign(tmp_path: Path) -> None:
    for name in ("poster.svg", "poster.png"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.intake.channels.qr",
                "--campaign",
                "bus-stop-7",
                "--out",
                str(tmp_path / name),
                "--url",
                "https://report.example.org",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "https://report.example.org/?via=qr&campaign=bus-stop-7" in done.stderr
    assert (tmp_path / "poster.svg").read_text().lstrip().startswith("<svg")
    assert (tmp_path / "poster.png").read_bytes().startswith(b"\x89PNG")
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.intake.channels.qr",
            "--campaign",
            "Not A Slug",
            "--out",
            str(tmp_path / "x.svg"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0 and "slug" in refused.stderr


# --- staff entry -----------------------------------------------------------------------------


def test_a_clerk_signs_in_enters_a_letter_and_gets_the_code_for_the_reporter(
    stack: Stack,
) -> None:
    with httpx.Client(base_url=stack.url("intake"), timeout=15) as browser:
        assert browser.get("/staff/entry").status_code == 303  # not signed in: to the sign-in
        signed_in = browser.post(
            "/staff/sign-in", data={"token": stack.staff_token("clerk", subject="clerk-7")}
        )
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/staff" in cookie
        page = browser.get("/staff/entry?lang=en")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert csrf
        fields = {
            "channel": "letter",
            "source_reference": "LETTER-2026-0042",
            "narrative": NARRATIVE,
            "lang": "en",
        }
        forged = browser.post("/staff/entry", data={**fields, "csrf": "0" * 64})
        assert forged.status_code == 403
        entered = browser.post("/staff/entry", data={**fields, "csrf": csrf.group(1)})
        assert browser.post("/staff/sign-out", data={"csrf": "0" * 64}).status_code == 403
        signed_out = browser.post("/staff/sign-out", data={"csrf": csrf.group(1)})
        assert signed_out.status_code == 303
        assert browser.get("/staff/entry").status_code == 303  # signed out: to the sign-in
    assert entered.status_code == 201
    assert "Give the reporter this tracking code" in entered.text
    event = submitted_event(stack, code_on(entered.text))
    assert event["data"]["channel"] == "letter"
    assert stored_report(stack, event)["source_reference"] == "LETTER-2026-0042"


def test_staff_entry_refuses_no_token_and_other_roles(stack: Stack) -> None:
    intake = stack.url("intake")
    assert httpx.post(f"{intake}/staff/entry", data={"narrative": NARRATIVE}).status_code == 401
    analyst = {"authorization": f"Bearer {stack.staff_token('analyst')}"}
    assert httpx.get(f"{intake}/staff/entry", headers=analyst).status_code == 403
    refused = httpx.post(f"{intake}/staff/sign-in", data={"token": "not-a-token"})
    assert refused.status_code == 401 and "not valid" in refused.text
    assert "set-cookie" not in refused.headers


# --- messaging apps --------------------------------------------------------------------------


def signed(secret: str, milliseconds: bool = False) -> dict[str, str]:
    timestamp = str(int(time.time() * (1000 if milliseconds else 1)))
    nonce = "57155157"
    joined = "".join(sorted((secret, timestamp, nonce))).encode()
    signature = hashlib.sha1(joined).hexdigest()  # noqa: S324 - the platforms' scheme
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def wechat_text(sender: str, text: str, message_id: str) -> bytes:
    """The shape WeChat posts for a text message (plaintext mode)."""
    return (
        "<xml><ToUserName><![CDATA[gh_tipline]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{message_id}</MsgId></xml>"
    ).encode()


def reply_text(xml: str) -> str:
    found = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", xml, re.S)
    assert found
    return found.group(1)


def test_wechat_refuses_unsigned_and_wrongly_signed_requests(stack: Stack) -> None:
    url = f"{stack.url('intake')}/channels/wechat"
    body = wechat_text("o-sender-1", NARRATIVE, "1001")
    assert httpx.post(url, content=body).status_code == 401
    wrong = signed("not-the-token")
    assert httpx.post(url, params=wrong, content=body).status_code == 401
    stale = {**signed(stack.secrets["WECHAT_TOKEN"]), "timestamp": "1397022061"}
    assert httpx.post(url, params=stale, content=body).status_code == 401
    echo = httpx.get(url, params={**signed(stack.secrets["WECHAT_TOKEN"]), "echostr": "dnPdpTZz85"})
    assert echo.status_code == 200 and echo.text == "dnPdpTZz85"


def test_a_wechat_conversation_becomes_one_report_and_the_code_comes_back(stack: Stack) -> None:
    url = f"{stack.url('intake')}/channels/wechat"
    token = stack.secrets["WECHAT_TOKEN"]
    sender = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    canary = "CANARYWX9"
    parts = [f"{canary} 村霸强收保护费，", "不交就打人。", "在长沙市天心区。"]
    replies = []
    for number, part in enumerate(parts):
        answer = httpx.post(
            url, params=signed(token), content=wechat_text(sender, part, f"70{number}"), timeout=15
        )
        assert answer.status_code == 200
        replies.append(reply_text(answer.text))
    assert "提交" in replies[0] and "已记录" in replies[1]
    # While the reporter writes, the conversation is stored sealed, and the sender only hashed.
    stored = str(list(mongo_client(stack)["intake"]["conversations"].find()))
    assert canary not in stored and sender not in stored

    done = httpx.post(
        url, params=signed(token), content=wechat_text(sender, "提交", "799"), timeout=15
    )
    assert done.status_code == 200
    assert "<ToUserName><![CDATA[o6_bmjrPTlm6_2sgVt7hMZOPfL2M]]>" in done.text
    code = re.search(r"[0-9A-Z]{3}(?:-[0-9A-Z]{3}){6}", reply_text(done.text))
    assert code and tracking_code.normalize(code.group(0)) is not None
    # WeChat retries a message it got no answer to: the same code, not a second report.
    retried = httpx.post(
        url, params=signed(token), content=wechat_text(sender, "提交", "799"), timeout=15
    )
    assert code.group(0) in reply_text(retried.text)

    event = submitted_event(stack, code.group(0))
    assert event["data"]["channel"] == "wechat"
    assert stored_report(stack, event)["narrative"] == "\n".join(parts)
    status = wait_for_stage(stack, code.group(0), "classified")
    assert [s["stage"] for s in status["history"]][:3] == ["submitted", "received", "classified"]
    log = stack.processes["intake"].log_text()
    assert canary not in log and sender not in log and code.group(0) not in log


def test_a_weibo_conversation_becomes_a_report_with_the_code_in_the_reply(stack: Stack) -> None:
    url = f"{stack.url('intake')}/channels/weibo"
    secret = stack.secrets["WEIBO_APP_SECRET"]

    def message(text: str, created: str) -> bytes:
        """The shape Weibo's fan service posts for a private text message."""
        return json.dumps(
            {
                "type": "text",
                "receiver_id": 1902538057,
                "sender_id": 2489518277,
                "created_at": created,
                "text": text,
                "data": {},
            }
        ).encode()

    assert httpx.post(url, content=message(NARRATIVE, "t0")).status_code == 401
    first = httpx.post(
        url, params=signed(secret, milliseconds=True), content=message(NARRATIVE, "t1"), timeout=15
    )
    assert first.status_code == 200
    done = httpx.post(
        url, params=signed(secret, milliseconds=True), content=message("submit", "t2"), timeout=15
    )
    reply = done.json()
    assert reply["result"] is True and reply["type"] == "text"
    assert reply["receiver_id"] == "2489518277" and reply["sender_id"] == "1902538057"
    text = json.loads(unquote(reply["data"]))["text"]
    code = re.search(r"[0-9A-Z]{3}(?:-[0-9A-Z]{3}){6}", text)
    assert code
    assert submitted_event(stack, code.group(0))["data"]["channel"] == "weibo"


# --- abuse resistance ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_intake(stack: Stack) -> Iterator[Stack]:
    """A second intake on the same database and broker, with small limits, so counting
    submissions does not depend on what other tests sent."""
    limits = {
        "WEB_SUBMISSIONS_PER_HOUR": "3",
        "WEB_SUBMISSIONS_PER_HOUR_WITHOUT_PROOF": "2",
        "PROOF_OF_WORK_BITS": "8",
    }
    with second_instance(stack, "intake", limits) as own:
        yield own


def test_submissions_are_limited_per_client_and_a_proof_of_work_earns_more(
    strict_intake: Stack,
) -> None:
    from services.intake.channels.abuse import solve

    url = strict_intake.url("intake")

    def send(proof: bool) -> httpx.Response:
        page = httpx.get(f"{url}/?lang=en", timeout=10).text
        challenge = re.search(r'name="pow_challenge" value="([^"]+)"', page)
        assert challenge
        fields = {"narrative": NARRATIVE, "lang": "en", "pow_challenge": challenge.group(1)}
        if proof:
            fields["pow_nonce"] = solve(challenge.group(1), 8)
        return httpx.post(f"{url}/report", data=fields, timeout=15)

    assert [send(proof=False).status_code for _ in range(3)] == [201, 201, 429]
    limited = send(proof=False)
    assert limited.status_code == 429 and "Too many reports" in limited.text
    assert send(proof=True).status_code == 201  # a browser running the page's script
    assert send(proof=True).status_code == 429
    # The client's address is never written (uvicorn's own start-up line names where it listens).
    log = strict_intake.processes["intake"].log_text().splitlines()
    assert not [line for line in log if "127.0.0.1" in line and "running on" not in line]


def test_one_messaging_account_cannot_flood_reports(strict_intake: Stack) -> None:
    url = f"{strict_intake.url('intake')}/channels/wechat"
    token = strict_intake.secrets["WECHAT_TOKEN"]
    replies = []
    for number in range(4):
        for kind, text in (("part", NARRATIVE), ("submit", "提交")):
            answer = httpx.post(
                url,
                params=signed(token),
                content=wechat_text("o-flooder", text, f"{kind}-{number}"),
                timeout=15,
            )
            assert answer.status_code == 200
        replies.append(reply_text(answer.text))
    codes = [re.search(r"[0-9A-Z]{3}(?:-[0-9A-Z]{3}){6}", reply) for reply in replies]
    assert all(codes[:3]) and codes[3] is None  # the limit here is 3 an hour
    assert "Too many reports this hour" in replies[3]


def test_the_reporter_adds_information_from_the_status_page(stack: Stack) -> None:
    code = httpx.post(
        f"{stack.url('intake')}/v1/reports",
        json={"channel": "web", "narrative": NARRATIVE},
        timeout=15,
    ).json()["tracking_code"]
    wait_for_stage(stack, code, "received")
    page = f"{stack.url('tracker')}/status/message"
    empty = httpx.post(page, data={"code": code, "text": "  ", "lang": "en"}, timeout=10)
    assert empty.status_code == 422 and 'id="message-text-error"' in empty.text
    sent = httpx.post(
        page,
        data={"code": code, "text": "他们每周五晚上在仓库收钱。", "lang": "en"},
        timeout=10,
    )
    assert sent.status_code == 200
    assert "Sent. The investigators will see your message." in sent.text
    assert 'data-sender="reporter"' in sent.text and "他们每周五晚上在仓库收钱。" in sent.text
    # The JSON view shows the same message: one path for both.
    status = httpx.get(f"{stack.url('tracker')}/v1/track/{code}", timeout=10).json()
    assert [m["text"] for m in status["messages"]] == ["他们每周五晚上在仓库收钱。"]
    typo = httpx.post(page, data={"code": code[:-1] + "?", "text": "x", "lang": "en"})
    assert typo.status_code == 422 and "typo" in typo.text
