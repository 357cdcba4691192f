"""Audit every `/v1/*` and `/admin/*` request, allowed or denied, before its response completes.

The caller's key is checked here, where the request enters (the route's `authenticated`
dependency then only reads the outcome). A non-streaming response is held back (its start and
body are one burst anyway) until the app has returned and the record is committed; if the
audit log cannot be written the client gets a 503 instead of an unaudited answer. A streamed
response is audited by its service before the final `[DONE]`; when the client leaves early the
record is written here once the stream has stopped.
"""

from __future__ import annotations

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agadir.audit import AuditUnavailableError
from agadir.gateway.errors import error_body, send_error
from agadir.gateway.governance.audit_sink import AuditSink
from agadir.gateway.governance.authenticator import Authenticator
from agadir.gateway.governance.context import RequestContext

AUDITED_PREFIXES = ("/v1/", "/admin/")


def _is_stream(message: Message) -> bool:
    for name, value in message.get("headers", ()):
        if name == b"content-type":
            return bool(value.startswith(b"text/event-stream"))
    return False


_NAMES: dict[str, bytes] = {}


def _name(header: str) -> bytes:
    """A header name as bytes, encoded once (the same six x-ratelimit-* names every time)."""
    encoded = _NAMES.get(header)
    if encoded is None:
        encoded = _NAMES[header] = header.encode("latin-1")
    return encoded


def _authorization(scope: Scope) -> str | None:
    """The Authorization header (ASGI servers give lower-case names), as Starlette decodes it."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


class AuditMiddleware:
    def __init__(self, app: ASGIApp, authenticator: Authenticator, sink: AuditSink) -> None:
        self.app = app
        self.authenticator = authenticator
        self.sink = sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if not path.startswith(AUDITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        sink = self.sink
        ctx = RequestContext(endpoint=path)
        if path.startswith("/admin/"):
            ctx.kind = "admin"
        scope.setdefault("state", {})["agadir_ctx"] = ctx
        lookup = self.authenticator.authenticate_edge(ctx, _authorization(scope))
        if lookup is not None:
            await lookup
        held: Message | None = None  # the response start, until the record is durable
        final: Message | None = None  # a one-part body, sent after the start
        status = 500
        streaming = False
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal held, final, status, streaming, started
            if message["type"] == "http.response.start":
                status = message["status"]
                streaming = _is_stream(message)
                if ctx.rate_headers:
                    extra = [(_name(k), v.encode()) for k, v in ctx.rate_headers.items()]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                if streaming:
                    started = True
                    await send(message)
                else:
                    held = message
                return
            if held is not None:
                if final is None and not message.get("more_body", False):
                    # Whole body in one part (every JSON answer): keep it and return, so the
                    # app's frames unwind now and only this middleware waits for the record.
                    final = message
                    return
                await send(held)  # a body in parts: it streams, and is audited at its end
                held = None
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            ctx.error_type = ctx.error_type or "server_error"
            if not ctx.audited:
                with contextlib.suppress(AuditUnavailableError):
                    await sink.audit(ctx, 500)
            raise
        if final is not None and held is not None:
            try:
                future = sink.submit(ctx, status)
                if future is not None:
                    await future
            except AuditUnavailableError as exc:
                await _refuse(send, exc.message)
                return
            await send(held)
            await send(final)
            return
        if not ctx.audited:  # a stream the client abandoned, or a response without a body
            if streaming and ctx.error_type is None:
                ctx.error_type = "client_disconnected"
            try:
                await sink.audit(ctx, status)
            except AuditUnavailableError:
                if not started:
                    raise


async def _refuse(send: Send, message: str) -> None:
    await send_error(send, 503, error_body(message, "audit_unavailable", code="audit_unavailable"))
