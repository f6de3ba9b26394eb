"""Interactive API documentation (`/docs`) that works without internet, under a strict
Content-Security-Policy.

FastAPI's own `/docs` loads Swagger UI from a CDN and starts it with an inline script, so it
is blank on a machine without internet, and any policy that refuses inline scripts breaks it.
Here Swagger UI's script and stylesheet (as shipped by the fastapi-offline package) are served
by each service from its own origin, and a small file of ours starts it. The classifier (on
faust's aiohttp server) serves the same page and files from the same functions.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/static"
SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"
OWN_STATIC_DIR = Path(__file__).parent / "web" / "static"
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (SWAGGER_DIR / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (SWAGGER_DIR / "swagger-ui.css", "text/css"),
    "favicon.png": (SWAGGER_DIR / "favicon.png", "image/png"),
    "docs.js": (OWN_STATIC_DIR / "docs.js", "text/javascript"),
}

# Swagger UI sets element styles from its script (allowed: only markup's style attributes and
# <style> elements are inline styles), shows its icons as data: images, and "Try it out" calls
# this same origin. Nothing else is allowed.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
DOCS_HEADERS = {
    "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
ASSET_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


def docs_html(title: str, openapi_url: str) -> str:
    page_title = escape(f"{title} · API")
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{page_title}</title>\n"
        f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">\n'
        f'<link rel="icon" href="{ASSETS_PATH}/favicon.png">\n'
        "</head>\n<body>\n"
        f'<div id="swagger-ui" data-openapi="{escape(openapi_url)}"></div>\n'
        f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{ASSETS_PATH}/docs.js"></script>\n'
        "</body>\n</html>\n"
    )


@cache
def asset(name: str) -> tuple[bytes, str] | None:
    """One of the page's files and its media type; None for any other name."""
    found = ASSETS.get(name)
    if found is None:
        return None
    path, media_type = found
    return path.read_bytes(), media_type


def install_api_docs(app: FastAPI) -> None:
    """Replaces FastAPI's CDN-loaded /docs (and /redoc, which loads from a CDN too) with the
    offline page."""
    replaced = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url} - {None}
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) not in replaced
    ]
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(docs_html(app.title, openapi_url), headers=DOCS_HEADERS)

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def api_docs_asset(name: str) -> Response:
        found = asset(name)
        if found is None:
            raise HTTPException(status_code=404, detail="no such file")
        body, media_type = found
        return Response(body, media_type=media_type, headers=ASSET_HEADERS)
