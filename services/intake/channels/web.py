"""The reporting website, served by intake: the report form (also the QR codes' landing page).

Every page posts to the same `SubmitReport` as the JSON API (same validation, storage and
event). Pages work without JavaScript; see README "Channels" for the choices made here. The
evidence page is in `evidence_form.py`, staff entry in `staff.py`.
"""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.common.events import Channel
from services.common.pages import LANGUAGES, choose_language, static_router
from services.common.settings import IntakeSettings
from services.common.texts import TEXTS
from services.intake.channels import forms
from services.intake.channels.abuse import RateLimiter
from services.intake.channels.evidence_form import evidence_form_router
from services.intake.channels.pages import (
    MAX_FORM_BYTES,
    WEB_DIR,
    Site,
    read_form,
    submit_form,
)
from services.intake.channels.qr import qr_router
from services.intake.channels.staff import staff_router
from services.intake.channels.webhooks import webhooks_router
from services.intake.deps import Submit

SCRIPTS = ("report.js", "pow-worker.js")


def channels_router(settings: IntakeSettings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    site = Site.from_settings(settings)
    limiter = RateLimiter(
        settings.web_submissions_per_hour, settings.web_submissions_per_hour_without_proof
    )
    scripts = {name: (WEB_DIR / "static" / name).read_bytes() for name in SCRIPTS}

    router.include_router(static_router())
    router.include_router(qr_router(settings))
    router.include_router(webhooks_router(settings))

    @router.get("/static/{name}")
    async def script(name: str) -> Response:
        if name not in scripts:
            raise HTTPException(status_code=404, detail="no such file")
        return Response(
            scripts[name],
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @router.get("/", response_class=HTMLResponse)
    async def report_form(
        request: Request, via: str | None = None, campaign: str | None = None
    ) -> HTMLResponse:
        tag = forms.campaign_or_none(campaign) if via == "qr" else None
        return site.form_page(
            request, choose_language(request), campaign=tag, values={"via": via or ""}
        )

    @router.get("/report", response_model=None)
    async def report_page_again(request: Request) -> RedirectResponse:
        # A language switch on an answered form, or a bookmark: back to the empty form.
        return RedirectResponse(f"/?lang={choose_language(request)}", status_code=303)

    @router.post("/report", response_class=HTMLResponse)
    async def report_from_form(request: Request, submit: Submit) -> HTMLResponse:
        try:
            form = await read_form(request)
        except HTTPException as exc:
            if exc.status_code != 413:
                raise
            lang = choose_language(request)
            return site.pages.render(
                request,
                "refusal.html",
                lang=lang,
                status_code=413,
                heading=TEXTS[lang]["form_too_large_title"],
                body=TEXTS[lang]["form_too_large_body"].format(kb=MAX_FORM_BYTES // 1024),
                link=f"/?lang={lang}",
                link_label=TEXTS[lang]["back_to_form"],
            )
        lang = choose_language(request, form.get("lang"))
        request.state.lang = lang  # for an outage's page (services/common/limits.py)
        text = TEXTS[lang]
        campaign = forms.campaign_or_none(form.get("campaign"))
        proof = site.proof
        proven = proof.verify(form.get("pow_challenge", ""), form.get("pow_nonce", ""), time.time())
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client, proven=proven, now=time.monotonic()):
            return site.pages.render(
                request,
                "refusal.html",
                lang=lang,
                status_code=429,
                heading=text["too_many_title"],
                body=text["too_many_body"],
            )
        data = forms.report_data(
            form,
            channel=Channel.QR if campaign or form.get("via") == "qr" else Channel.WEB,
            language=lang,
            campaign=campaign,
        )
        result = await submit_form(submit, form, data)
        if isinstance(result, dict):
            return site.form_page(
                request, lang, values=form, errors=result, campaign=campaign, status_code=422
            )
        limiter.count(client, now=time.monotonic())
        return site.done_page(
            request,
            lang,
            staff=False,
            tracking_code=result.tracking_code,
            again_url=f"/?lang={lang}",
        )

    @router.post("/report/code", response_model=None)
    async def code_page_again(request: Request) -> Response:
        """The code page in the other language. Only a code page of intake's own can ask (the
        seal): no other site can make this one show a code of its choosing."""
        form = await read_form(request)
        lang = choose_language(request, form.get("lang"))
        kind, code = form.get("kind", ""), form.get("code", "")
        if kind not in ("web", "staff") or not hmac.compare_digest(
            form.get("seal", ""), site.code_seal(kind, code)
        ):
            return RedirectResponse(f"/?lang={lang}", status_code=303)
        again = f"/staff/entry?lang={lang}" if kind == "staff" else f"/?lang={lang}"
        return site.done_page(
            request,
            lang,
            staff=kind == "staff",
            tracking_code=code,
            again_url=again,
            status_code=200,
        )

    router.include_router(evidence_form_router(site))
    router.include_router(staff_router(settings, site))
    assert set(LANGUAGES) == set(TEXTS)
    return router
