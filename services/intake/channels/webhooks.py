"""Webhooks for messaging-app accounts (WeChat official account, Weibo fan service).

Both platforms sign every request (see `messaging.py`); an unsigned or wrongly signed request
gets 401 and nothing else. A reporter writes in one or more messages, sends "提交"/"submit",
and gets the tracking code back in the passive reply. The report goes through the same
`SubmitReport` as every other channel. Payload shapes are documented in README "Channels".
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from services.common.events import Channel
from services.common.settings import IntakeSettings
from services.intake.channels import messaging
from services.intake.channels.abuse import RateLimiter
from services.intake.channels.adapters import ConversationStore
from services.intake.deps import Conversations, Submit
from services.intake.reports.domain import ReportAccepted, ReportIn
from services.intake.reports.submit import SubmitReport

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 64 * 1024


@dataclass
class MessagingAccounts:
    """What the webhooks of one process share: the platforms' secrets, the secret that hashes
    senders and messages, and the per-account rate limit."""

    secret: bytes
    status_page: str
    platform_secrets: dict[str, str | None]
    limiter: RateLimiter

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> MessagingAccounts:
        return cls(
            secret=settings.tracking_code_secret.get_secret_value().encode(),
            status_page=settings.public_base_url.rstrip("/") + "/status",
            platform_secrets={
                "wechat": settings.wechat_token.get_secret_value()
                if settings.wechat_token
                else None,
                "weibo": settings.weibo_app_secret.get_secret_value()
                if settings.weibo_app_secret
                else None,
            },
            # A platform account is one person: the same allowance as a browser that did the
            # work.
            limiter=RateLimiter(
                settings.web_submissions_per_hour, settings.web_submissions_per_hour
            ),
        )

    def verify(self, platform: str, request: Request) -> None:
        platform_secret = self.platform_secrets[platform]
        if platform_secret is None:
            # The channel is not configured here: as if the endpoint did not exist.
            raise HTTPException(status_code=404, detail="not found")
        query = request.query_params
        if not messaging.signature_valid(
            platform_secret,
            query.get("signature"),
            query.get("timestamp"),
            query.get("nonce"),
            messaging.signature_clock(),
        ):
            raise HTTPException(status_code=401, detail="the request is not signed by the platform")

    def conversation_id(self, platform: str, sender: str) -> str:
        return hmac.new(
            self.secret, f"conversation:{platform}:{sender}".encode(), hashlib.sha256
        ).hexdigest()

    def message_hash(self, platform: str, message_id: str) -> str:
        return hmac.new(
            self.secret, f"message:{platform}:{message_id}".encode(), hashlib.sha256
        ).hexdigest()

    async def converse(
        self,
        store: ConversationStore,
        submit: SubmitReport,
        platform: str,
        channel: Channel,
        incoming: messaging.IncomingMessage,
    ) -> str:
        """The reply to one incoming message: collect it, cancel, or submit the report."""
        cid = self.conversation_id(platform, incoming.sender)
        seen = self.message_hash(platform, incoming.message_id)
        conversation = await store.find(cid)
        if conversation is not None and seen in conversation.seen:
            # The platform retried a message we already handled: the same answer again.
            return conversation.reply or messaging.REPLIES[messaging.Step.COLLECTED]
        parts = conversation.parts if conversation and conversation.reply is None else []
        collected = len(messaging.narrative_from(parts))
        step = messaging.next_step(incoming, collected)
        if step is messaging.Step.COLLECTED:
            await store.add_part(cid, incoming.text or "", seen)
            return messaging.REPLIES[step if parts else messaging.Step.WELCOME]
        if step is messaging.Step.CANCELLED:
            await store.forget(cid)
            return messaging.REPLIES[step]
        if step is not messaging.Step.SUBMIT:
            return messaging.REPLIES[step]
        if not self.limiter.allow(cid, proven=True, now=time.monotonic()):
            return messaging.REPLIES[messaging.Step.TOO_MANY]
        report = ReportIn(channel=channel, narrative=messaging.narrative_from(parts))
        # Keyed by the message that asked to submit: a retry of it cannot make a second report.
        answer = await submit(report, f"{platform}:{seen}")
        if not isinstance(answer, ReportAccepted):
            raise HTTPException(status_code=409, detail="this message was already used")
        self.limiter.count(cid, now=time.monotonic())
        reply = messaging.submitted_reply(answer.tracking_code, self.status_page)
        await store.finish(cid, reply, seen)
        return reply


async def body_of(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_MESSAGE_BYTES:
        raise HTTPException(status_code=413, detail="the message is too large")
    return body


def webhooks_router(settings: IntakeSettings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    accounts = MessagingAccounts.from_settings(settings)

    @router.get("/channels/wechat")
    async def wechat_verify(request: Request, echostr: str = "") -> PlainTextResponse:
        """WeChat checks the URL once by asking us to echo `echostr` under a valid signature."""
        accounts.verify("wechat", request)
        return PlainTextResponse(echostr)

    @router.post("/channels/wechat")
    async def wechat_message(request: Request, store: Conversations, submit: Submit) -> Response:
        accounts.verify("wechat", request)
        try:
            incoming = messaging.parse_wechat(await body_of(request))
        except messaging.BadPayload as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        reply = await accounts.converse(store, submit, "wechat", Channel.WECHAT, incoming)
        return Response(
            messaging.wechat_reply(incoming, reply, messaging.signature_clock()),
            media_type="application/xml",
            headers={"Cache-Control": "no-store"},
        )

    @router.get("/channels/weibo")
    async def weibo_verify(request: Request, echostr: str = "") -> PlainTextResponse:
        accounts.verify("weibo", request)
        return PlainTextResponse(echostr)

    @router.post("/channels/weibo")
    async def weibo_message(request: Request, store: Conversations, submit: Submit) -> JSONResponse:
        accounts.verify("weibo", request)
        try:
            incoming = messaging.parse_weibo(await body_of(request))
        except messaging.BadPayload as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        reply: dict[str, Any] = messaging.weibo_reply(
            incoming, await accounts.converse(store, submit, "weibo", Channel.WEIBO, incoming)
        )
        return JSONResponse(reply, headers={"Cache-Control": "no-store"})

    return router
