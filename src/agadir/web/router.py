"""`GET /` (the chat and admin page) and `GET /ui/{path}` (its scripts, styles and font).

Thin on purpose: the page is static and talks to the same `/v1/*` and `/admin/*` API as any
other client, with the key the user types, so it has no privileges of its own and nothing here
authenticates. The Content-Security-Policy pins every script, style, font and fetch to this
origin: the page cannot load anything from the internet even if a string in it asked to, which
is both the offline guarantee and the XSS backstop (model output is only ever set as text).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from agadir.web.assets import Asset, bundle

router = APIRouter(include_in_schema=False)

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Revalidate every time: the ETag makes that a 304 with no body.
    "Cache-Control": "no-cache",
}


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def serve(asset: Asset, request: Request) -> Response:
    """The asset, gzipped when the client takes it, or a 304 when its copy is current."""
    headers = {**SECURITY_HEADERS, "ETag": asset.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and _accepts_gzip(request):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.content_type, headers=headers)


@router.get("/")
async def index(request: Request) -> Response:
    return serve(bundle().get("index.html"), request)


@router.get("/ui/{path:path}")
async def asset(path: str, request: Request) -> Response:
    return serve(bundle().get(path), request)
