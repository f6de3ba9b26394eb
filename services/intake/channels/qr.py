"""QR codes that open the reporting website with the channel recorded.

A poster's code opens `INTAKE_PUBLIC_URL/?via=qr&campaign=<slug>`; reports sent from that page
arrive with `channel=qr` and the campaign slug (the only part that travels in the event).

    tipline-qr --campaign metro-line-2 --out poster.svg   (or .png)

(`tipline-qr` is installed with the package; also `python -m services.intake.channels.qr`.)

The endpoint `GET /qr.svg?campaign=…` and `GET /qr.png?campaign=…` give the same codes.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from services.common.settings import ChannelSettings
from services.intake.reports.domain import CAMPAIGN_PATTERN

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def landing_url(public_url: str, campaign: str | None) -> str:
    query = {"via": "qr"} | ({"campaign": campaign} if campaign else {})
    return f"{public_url.rstrip('/')}/?{urlencode(query)}"


def qr_code(url: str, kind: str, scale: int = 8) -> bytes:
    """Error correction M (survives some dirt or a fold on a poster); a quiet zone of 4."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=scale, xmldecl=False, svgns=True, title="Tipline")
    else:
        code.save(out, kind="png", scale=scale)
    return out.getvalue()


def valid_campaign(campaign: str | None) -> bool:
    return campaign is None or bool(re.fullmatch(CAMPAIGN_PATTERN, campaign))


def qr_router(settings: ChannelSettings) -> APIRouter:
    router = APIRouter(tags=["channels"])

    @router.get(
        "/qr.{kind}",
        summary="A QR code (PNG or SVG) opening the reporting website for a campaign",
        responses={200: {"content": {t: {} for t in FORMATS.values()}}},
        response_class=Response,
    )
    async def qr(
        kind: str,
        campaign: str | None = Query(
            default=None, max_length=40, pattern=CAMPAIGN_PATTERN, examples=["metro-line-2"]
        ),
        scale: int = Query(default=8, ge=1, le=40),
    ) -> Response:
        if kind not in FORMATS:
            raise HTTPException(status_code=404, detail="QR codes come as .svg or .png")
        body = qr_code(landing_url(settings.intake_public_url, campaign), kind, scale)
        return Response(
            body, media_type=FORMATS[kind], headers={"Cache-Control": "public, max-age=86400"}
        )

    return router


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tipline-qr", description=__doc__)
    parser.add_argument("--campaign", help="a short slug: lower-case letters, digits, hyphens")
    parser.add_argument("--out", required=True, type=Path, help="file to write: .svg or .png")
    parser.add_argument("--scale", type=int, default=8, help="pixels per module (default 8)")
    parser.add_argument("--url", help="the website's public address (default INTAKE_PUBLIC_URL)")
    args = parser.parse_args(argv)
    kind = args.out.suffix.lstrip(".").lower()
    if kind not in FORMATS:
        parser.error("--out must end in .svg or .png")
    if not valid_campaign(args.campaign) or len(args.campaign or "") > 40:
        parser.error("--campaign must be a slug such as metro-line-2 (at most 40 characters)")
    public_url = args.url or ChannelSettings().intake_public_url
    url = landing_url(public_url, args.campaign)
    args.out.write_bytes(qr_code(url, kind, args.scale))
    print(f"{args.out}: {url}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
