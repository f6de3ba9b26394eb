"""Messaging-app channels as plain functions: signatures, payloads, and the conversation that
turns several messages into one report. No I/O here.

WeChat official account (公众号, plaintext mode): every request carries `signature`,
`timestamp` and `nonce` in the query; signature = SHA1 of the token, timestamp and nonce
sorted and joined. Messages are XML; a passive reply is XML with From/To swapped.

Weibo fan service (粉丝服务平台): the same rule with the app secret instead of the token
(`sort(appsecret, timestamp, nonce)`, SHA1); messages are JSON; a passive reply is JSON whose
`data` is the URL-encoded JSON `{"text": …}`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from defusedxml import ElementTree

MAX_NARRATIVE = 20_000
MIN_NARRATIVE = 10
SUBMIT_WORDS = frozenset({"提交", "完成", "submit", "send", "done"})
CANCEL_WORDS = frozenset({"取消", "cancel"})
# Platforms retry an unanswered message within seconds; older timestamps are replays.
MAX_SIGNATURE_AGE_SECONDS = 300


def sha1_signature(secret: str, timestamp: str, nonce: str) -> str:
    """WeChat's and Weibo's rule: SHA1 over the three strings sorted and concatenated."""
    return hashlib.sha1("".join(sorted((secret, timestamp, nonce))).encode()).hexdigest()  # noqa: S324 - the platforms' scheme


def signature_valid(
    secret: str, signature: str | None, timestamp: str | None, nonce: str | None, now: float
) -> bool:
    if not (signature and timestamp and nonce):
        return False
    expected = sha1_signature(secret, timestamp, nonce)
    if not hmac.compare_digest(expected, signature.lower()):
        return False
    # Weibo's timestamps are in milliseconds, WeChat's in seconds.
    try:
        sent = int(timestamp) / (1000 if len(timestamp) > 11 else 1)
    except ValueError:
        return False
    return abs(now - sent) <= MAX_SIGNATURE_AGE_SECONDS


@dataclass(frozen=True)
class IncomingMessage:
    """One message from a platform user. `sender` and `account` are the platform's ids."""

    sender: str
    account: str
    message_id: str  # what the platform repeats when it retries
    text: str | None  # None for events and for message types we do not read
    is_subscribe: bool = False


class BadPayload(ValueError):
    pass


def parse_wechat(body: bytes) -> IncomingMessage:
    try:
        root = ElementTree.fromstring(body)
    except Exception as exc:  # defusedxml refuses entities and DTDs, as it should
        raise BadPayload("not a WeChat XML message") from exc

    def field(name: str) -> str:
        return (root.findtext(name) or "").strip()

    sender, account, kind = field("FromUserName"), field("ToUserName"), field("MsgType")
    if not sender or not account or not kind:
        raise BadPayload("not a WeChat XML message")
    message_id = field("MsgId") or f"{sender}:{field('CreateTime')}"
    if kind == "text":
        return IncomingMessage(sender, account, message_id, root.findtext("Content") or "")
    subscribe = kind == "event" and field("Event").lower() == "subscribe"
    return IncomingMessage(sender, account, message_id, None, is_subscribe=subscribe)


def wechat_reply(incoming: IncomingMessage, text: str, now: float) -> str:
    return (
        "<xml>"
        f"<ToUserName><![CDATA[{_cdata(incoming.sender)}]]></ToUserName>"
        f"<FromUserName><![CDATA[{_cdata(incoming.account)}]]></FromUserName>"
        f"<CreateTime>{int(now)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{_cdata(text)}]]></Content>"
        "</xml>"
    )


def _cdata(text: str) -> str:
    # A CDATA section cannot hold "]]>": end it there and start another.
    return text.replace("]]>", "]]]]><![CDATA[>")


def parse_weibo(body: bytes) -> IncomingMessage:
    try:
        payload = json.loads(body)
        kind = str(payload["type"])
        sender, account = str(payload["sender_id"]), str(payload["receiver_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadPayload("not a Weibo message") from exc
    # Weibo's advice for recognising retries: the sender and the creation time together.
    message_id = f"{sender}:{payload.get('created_at', '')}"
    if kind == "text":
        return IncomingMessage(sender, account, message_id, str(payload.get("text") or ""))
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    subscribe = kind == "event" and str(data.get("subtype", "")).lower() in ("follow", "subscribe")
    return IncomingMessage(sender, account, message_id, None, is_subscribe=subscribe)


def weibo_reply(incoming: IncomingMessage, text: str) -> dict[str, object]:
    return {
        "result": True,
        "receiver_id": incoming.sender,
        "sender_id": incoming.account,
        "type": "text",
        "data": quote(json.dumps({"text": text}, ensure_ascii=False), safe=""),
    }


class Step(StrEnum):
    WELCOME = "welcome"  # a follow, or an event we do not read: say how this works
    COLLECTED = "collected"  # a part of the narrative was kept
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"  # asked to submit with too little to go on
    SUBMIT = "submit"
    CANCELLED = "cancelled"
    TOO_MANY = "too_many"  # this sender sent more reports this hour than anyone plausibly does


def next_step(incoming: IncomingMessage, collected_length: int) -> Step:
    """What a message does to a conversation that has `collected_length` characters so far."""
    if incoming.text is None:
        return Step.WELCOME
    word = incoming.text.strip().lower()
    if word in CANCEL_WORDS:
        return Step.CANCELLED
    if word in SUBMIT_WORDS:
        return Step.SUBMIT if collected_length >= MIN_NARRATIVE else Step.TOO_SHORT
    if collected_length + len(incoming.text) + 1 > MAX_NARRATIVE:
        return Step.TOO_LONG
    return Step.COLLECTED


def narrative_from(parts: list[str]) -> str:
    return "\n".join(part.strip() for part in parts if part.strip())


REPLIES = {
    Step.WELCOME: (
        "这里可以匿名举报。请用一条或多条消息写下发生了什么（谁、做了什么、在哪里、什么时候），"
        "写完后发送“提交”。发送“取消”可放弃。\n"
        "Report anonymously here: describe what happened in one or more messages, then send "
        "'submit'. Send 'cancel' to discard."
    ),
    Step.COLLECTED: (
        "已记录。可以继续补充；写完后发送“提交”。\n"
        "Noted. Add more if you wish; send 'submit' when you are done."
    ),
    Step.TOO_LONG: (
        "内容太长了，请先发送“提交”，再另起一份举报。\n"
        "That is too long for one report: send 'submit' now and start another."
    ),
    Step.TOO_SHORT: (
        "内容太少，请再写几句发生了什么，然后发送“提交”。\n"
        "There is too little to go on: please describe what happened, then send 'submit'."
    ),
    Step.CANCELLED: ("已放弃，内容已删除。\nDiscarded; nothing was kept."),
    Step.TOO_MANY: (
        "一小时内提交次数过多，请稍后再发送“提交”。您写的内容仍然保留。\n"
        "Too many reports this hour: send 'submit' again later. What you wrote is kept."
    ),
}


def submitted_reply(tracking_code: str, status_url: str) -> str:
    return (
        f"举报已收到。您的查询码（只发这一次，请保存好，不要告诉别人）：\n{tracking_code}\n"
        f"查看进度：{status_url}\n"
        f"Report received. Your tracking code (sent only once; keep it safe and private): "
        f"{tracking_code}\nStatus: {status_url}"
    )


def signature_clock() -> float:
    """The clock signatures are checked against (one place, so tests can see what is used)."""
    return time.time()
