"""Pure-ASGI middleware (no BaseHTTPMiddleware: it costs throughput): metrics and body limits."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agadir.gateway.errors import error_body, send_error
from agadir.gateway.metrics import Metrics

UNMATCHED = "other"


def route_template(scope: Scope) -> str:
    """The template of the route that served this request (`/v1/knowledge/{name}/search`), read
    after the app ran: the router leaves the matched route in the scope. Templates keep the
    label set as small as the route table; a path no route matched (a 404 probe, a typo) is
    `other`, so clients cannot mint label values."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED


class MetricsMiddleware:
    """Count and time every HTTP request, labelled by route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        started = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.in_flight.dec()
            endpoint = route_template(scope)
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
            self.metrics.requests.labels(endpoint, str(status["code"])).inc()


@dataclass(frozen=True)
class LargerBody:
    """A route allowed a bigger body than the default, and the setting that says how big.
    Only for routes whose body is streamed to disk (multipart uploads), never buffered."""

    method: str
    path: re.Pattern[str]
    max_bytes: int
    setting: str


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413 before they are buffered in memory; the size is
    counted as the body streams in, so a body without Content-Length is cut off too."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Sequence[LargerBody] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)

    def _limit(self, scope: Scope) -> tuple[int, str]:
        for route in self.larger:
            if scope.get("method") == route.method and route.path.fullmatch(scope["path"]):
                return route.max_bytes, route.setting
        return self.max_bytes, "max_request_bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self._limit(scope)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._reject(send, limit, setting)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(send, limit, setting)

    async def _reject(self, send: Send, limit: int, setting: str) -> None:
        body: Any = error_body(
            f"Request body larger than {limit} bytes. Send less per request "
            f"(or raise {setting} in agadir.toml).",
            "invalid_request_error",
            code="request_too_large",
        )
        await send_error(send, 413, body)


class _TooLarge(Exception):
    pass
