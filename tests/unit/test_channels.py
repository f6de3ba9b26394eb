"""Channel logic without infrastructure: form reading, abuse limits, platform signatures and
payloads, the messaging conversation, and the page catalog."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from services.common.events import Channel
from services.common.texts import TEXTS
from services.intake.channels import forms, messaging
from services.intake.channels.abuse import ProofOfWork, RateLimiter, meets_difficulty, solve
from services.intake.channels.qr import landing_url, valid_campaign
from services.intake.reports.domain import ReportIn

# --- the form --------------------------------------------------------------------------------


def test_a_form_becomes_the_same_report_the_json_api_takes():
    data = forms.report_data(
        {
            "narrative": "  村霸强收保护费，不交就打人。 ",
            "location.city": "长沙",
            "location.province": "",
            "people_involved": "张三\n\n 李四 \n",
            "incident_time": "2026-03-01",
            "contact.email": "",
            "pow_nonce": "12",
        },
        channel=Channel.WEB,
        language="zh",
    )
    report = forms.parse_report(data)
    assert isinstance(report, ReportIn)
    assert report.location is not None and report.location.city == "长沙"
    assert report.location.province is None
    assert report.people_involved == ["张三", "李四"]
    assert report.contact is None  # nothing typed there: anonymous
    assert report.incident_time is not None and report.incident_time.utcoffset() is not None


def test_each_bad_field_gets_a_reason_in_the_readers_language_without_its_value():
    problems = forms.parse_report(
        forms.report_data(
            {"narrative": "", "contact.email": "secret-value"}, channel=Channel.WEB, language="en"
        )
    )
    assert isinstance(problems, dict)
    assert set(problems) == {"narrative", "contact.email"}
    assert forms.reason(problems["narrative"], TEXTS["zh"]) == TEXTS["zh"]["field_required"]
    short = forms.parse_report({"channel": "web", "narrative": "短"})
    assert isinstance(short, dict)
    assert forms.reason(short["narrative"], TEXTS["en"]) == "Too short: at least 10 characters."
    assert "secret-value" not in forms.reason(problems["contact.email"], TEXTS["en"])


def test_only_a_slug_is_accepted_as_a_campaign():
    assert forms.campaign_or_none("metro-line-2") == "metro-line-2"
    for bad in ("Metro", "a b", "-edge", "x" * 41, "报告", None, ""):
        assert forms.campaign_or_none(bad) is None
    assert valid_campaign(None) and not valid_campaign("not a slug")
    assert landing_url("https://r.example/", "bus-7") == "https://r.example/?via=qr&campaign=bus-7"


def test_every_page_text_exists_in_both_languages():
    assert set(TEXTS["zh"]) == set(TEXTS["en"])
    assert all(value.strip() for language in TEXTS.values() for value in language.values())


# --- abuse resistance ------------------------------------------------------------------------


def test_a_client_is_limited_per_hour_more_strictly_without_a_proof_of_work():
    limiter = RateLimiter(per_hour=3, per_hour_without_proof=1)

    def send(address: str, proven: bool, now: float) -> bool:
        allowed = limiter.allow(address, proven=proven, now=now)
        if allowed:
            limiter.count(address, now=now)
        return allowed

    assert send("203.0.113.9", proven=False, now=0)
    assert not send("203.0.113.9", proven=False, now=1)
    assert send("203.0.113.9", proven=True, now=2)
    assert send("203.0.113.9", proven=True, now=3)
    assert not send("203.0.113.9", proven=True, now=4)
    assert send("198.51.100.1", proven=False, now=5)  # another client is not affected
    assert send("203.0.113.9", proven=False, now=3604)  # the hour has passed


def test_only_accepted_reports_count_against_the_limit():
    limiter = RateLimiter(per_hour=3, per_hour_without_proof=1)
    for second in range(10):  # a reporter fixing the form again and again
        assert limiter.allow("203.0.113.9", proven=False, now=second)


def test_the_limiter_keeps_no_client_address():
    limiter = RateLimiter(per_hour=3, per_hour_without_proof=1)
    limiter.count("203.0.113.9", now=0)
    assert "203.0.113.9" not in repr(limiter.__dict__)
    # A fresh limiter (a restart) hashes the same address differently: nothing to correlate.
    assert RateLimiter(3, 1).client_key("203.0.113.9") != limiter.client_key("203.0.113.9")


def test_a_proof_of_work_counts_once_for_a_fresh_signed_challenge():
    proof = ProofOfWork(key=b"k" * 32, bits=8)
    challenge = proof.challenge(now=1_000)
    nonce = solve(challenge, 8)
    assert meets_difficulty(challenge, nonce, 8)
    assert not proof.verify(challenge, str(int(nonce) + 1) + "x", now=1_010)  # work not done
    assert proof.verify(challenge, nonce, now=1_010)
    assert not proof.verify(challenge, nonce, now=1_011)  # spent
    late = proof.challenge(now=1_000)
    assert not proof.verify(late, solve(late, 8), now=1_000 + 3 * 3600)  # too old
    forged = "1000.made-up." + late.rsplit(".", 1)[1]
    assert not proof.verify(forged, solve(forged, 8), now=1_010)
    other = ProofOfWork(key=b"o" * 32, bits=8).challenge(now=1_000)
    assert not proof.verify(other, solve(other, 8), now=1_010)


# --- platform signatures and payloads --------------------------------------------------------


def test_the_weibo_documented_signature_example_verifies():
    # Weibo's guide: appsecret xyz123xyz, timestamp 1397022061823, nonce 57155157.
    assert (
        messaging.sha1_signature("xyz123xyz", "1397022061823", "57155157")
        == "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
    )
    assert messaging.signature_valid(
        "xyz123xyz",
        "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1",
        "1397022061823",
        "57155157",
        now=1397022061.823 + 10,
    )


@pytest.mark.parametrize(
    ("secret", "signature", "timestamp", "nonce", "now"),
    [
        ("xyz123xyz", None, "1397022061823", "57155157", 1397022062),  # unsigned
        (
            "other",
            "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1",
            "1397022061823",
            "57155157",
            1397022062,
        ),
        (
            "xyz123xyz",
            "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1",
            "1397022061823",
            "57155157",
            1397032062,
        ),
        ("xyz123xyz", "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1", "1397022061823", "1", 1397022062),
    ],
)
def test_a_missing_wrong_or_replayed_signature_is_refused(secret, signature, timestamp, nonce, now):
    assert not messaging.signature_valid(secret, signature, timestamp, nonce, now)


def test_wechat_xml_is_read_safely_and_answered_to_the_sender():
    incoming = messaging.parse_wechat(
        b"<xml><ToUserName><![CDATA[gh_acct]]></ToUserName>"
        b"<FromUserName><![CDATA[o-user]]></FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content>"
        b"<MsgId>42</MsgId></xml>"
    )
    assert (incoming.sender, incoming.account, incoming.message_id, incoming.text) == (
        "o-user",
        "gh_acct",
        "42",
        "hello",
    )
    reply = messaging.wechat_reply(incoming, "a ]]> b", now=5)
    assert "<ToUserName><![CDATA[o-user]]></ToUserName>" in reply
    assert messaging.parse_wechat(reply.encode()).text == "a ]]> b"  # CDATA split safely
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>'
    with pytest.raises(messaging.BadPayload):
        messaging.parse_wechat(bomb)
    with pytest.raises(messaging.BadPayload):
        messaging.parse_wechat(b"<xml><MsgType>text</MsgType></xml>")


def test_a_weibo_reply_carries_url_encoded_json_text():
    incoming = messaging.parse_weibo(
        json.dumps(
            {"type": "text", "receiver_id": 1, "sender_id": 2, "created_at": "x", "text": "hi"}
        ).encode()
    )
    reply = messaging.weibo_reply(incoming, "中文消息")
    assert reply["receiver_id"] == "2" and reply["sender_id"] == "1"
    assert json.loads(unquote(str(reply["data"]))) == {"text": "中文消息"}
    with pytest.raises(messaging.BadPayload):
        messaging.parse_weibo(b"[]")


def test_a_conversation_collects_until_the_reporter_submits_or_cancels():
    def message(text: str | None) -> messaging.IncomingMessage:
        return messaging.IncomingMessage("u", "a", "m", text)

    assert messaging.next_step(message(None), 0) is messaging.Step.WELCOME
    assert messaging.next_step(message("村霸强收保护费"), 0) is messaging.Step.COLLECTED
    assert messaging.next_step(message("提交"), 3) is messaging.Step.TOO_SHORT
    assert messaging.next_step(message(" Submit "), 40) is messaging.Step.SUBMIT
    assert messaging.next_step(message("取消"), 40) is messaging.Step.CANCELLED
    assert messaging.next_step(message("x" * 100), 19_950) is messaging.Step.TOO_LONG
    assert messaging.narrative_from([" a ", "", "b"]) == "a\nb"


def test_an_empty_webhook_secret_switches_the_webhook_off(monkeypatch: pytest.MonkeyPatch):
    from services.common.settings import ChannelSettings

    monkeypatch.setenv("WECHAT_TOKEN", "")
    monkeypatch.setenv("WEIBO_APP_SECRET", "  ")
    settings = ChannelSettings()
    assert settings.wechat_token is None and settings.weibo_app_secret is None
