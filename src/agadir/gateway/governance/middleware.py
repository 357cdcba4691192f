"""Audit every `/v1/*` and `/admin/*` request, allowed or denied, before its response completes.

A non-streaming response is held back (its start and body are one burst anyway) until the
record is committed; if the audit log cannot be written the client gets a 503 instead of an
unaudited answer. A streamed response is audited by its service before the final `[DONE]`;
when the client leaves early the record is written here once the stream has stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agadir.audit import AuditUnavailableError
from agadir.gateway.errors import error_body, send_error
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.service import Governance

AUDITED_PREFIXES = ("/v1/", "/admin/")


def _is_stream(message: Message) -> bool:
    return any(
        name == b"content-type" and value.startswith(b"text/event-stream")
        for name, value in message.get("headers", [])
    )


class AuditMiddleware:
    def __init__(self, app: ASGIApp, governance: Callable[[], Governance]) -> None:
        self.app = app
        self.governance = governance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(AUDITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        gov = self.governance()
        ctx = RequestContext(endpoint=scope["path"])
        if scope["path"].startswith("/admin/"):
            ctx.kind = "admin"
        scope.setdefault("state", {})["agadir_ctx"] = ctx
        held: Message | None = None
        status = 500
        streaming = False
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal held, status, streaming, started
            if message["type"] == "http.response.start":
                status = message["status"]
                streaming = _is_stream(message)
                if ctx.rate_headers:
                    extra = [(k.encode(), v.encode()) for k, v in ctx.rate_headers.items()]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                if streaming:
                    started = True
                    await send(message)
                else:
                    held = message
                return
            if held is not None and not message.get("more_body", False):
                try:
                    await gov.audit(ctx, status)
                except AuditUnavailableError as exc:
                    await _refuse(send, exc.message)
                    held = None
                    started = True
                    return
            if held is not None:
                await send(held)
                held = None
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            ctx.error_type = ctx.error_type or "server_error"
            if not ctx.audited:
                with contextlib.suppress(AuditUnavailableError):
                    await gov.audit(ctx, 500)
            raise
        if not ctx.audited:  # a stream the client abandoned, or a response without a body
            if streaming and ctx.error_type is None:
                ctx.error_type = "client_disconnected"
            try:
                await gov.audit(ctx, status)
            except AuditUnavailableError:
                if not started:
                    raise


async def _refuse(send: Send, message: str) -> None:
    await send_error(send, 503, error_body(message, "audit_unavailable", code="audit_unavailable"))
