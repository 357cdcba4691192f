"""Where a request's context becomes its hash-chained audit record.

The record is built here from what governance learnt about the request; the content (hashed
with the audit key, kept, or dropped per the tenant's policy) is resolved in the writer's
process, not on the event loop. A caller is answered only once its record is durable.

Does not decide whether to answer a request that could not be audited: `AuditMiddleware`
turns `AuditUnavailableError` into a 503.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from agadir.audit import AuditRecord, PendingContent
from agadir.audit.process_writer import ProcessAuditWriter
from agadir.gateway.governance.context import RequestContext


class AuditSink:
    """One per process, over the audit writer process; `close()` it at shutdown."""

    def __init__(self, writer: ProcessAuditWriter) -> None:
        self.writer = writer

    async def record_event(self, what: str, **extra: Any) -> None:
        """A non-request event in the chain (server start in dev-open mode, ...)."""
        await self.writer.append(AuditRecord(endpoint=what, status=0, kind="event", extra=extra))

    def submit(self, ctx: RequestContext, status: int) -> asyncio.Future[int] | None:
        """Queue the request's record; the future resolves once it is durable. None when the
        request was already audited (idempotent). For callers that await in their own frame;
        others use `audit`."""
        if ctx.audited:
            return None
        ctx.audited = True
        principal = ctx.principal
        tenant = key_id = content = None
        if principal is not None:
            tenant, key_id = principal.tenant.name, principal.key_id
            policy = principal.tenant.audit_content
            if policy != "none":  # hashed (or kept) by the writer process, not on this loop
                content = PendingContent(policy, ctx.request_text, ctx.response_text)
        return self.writer.submit(
            AuditRecord(
                endpoint=ctx.endpoint,
                status=status,
                kind=ctx.kind,
                tenant=tenant,
                key_id=key_id,
                model=ctx.model,
                model_sha256=ctx.model_sha256,
                prompt_tokens=ctx.prompt_tokens,
                completion_tokens=ctx.completion_tokens,
                latency_ms=(time.perf_counter() - ctx.started) * 1000,
                error_type=ctx.error_type,
                pii=ctx.pii,
                quota=ctx.quota,
                chunks=ctx.chunks,
                content=content,
                extra=ctx.extra,
            )
        )

    async def audit(self, ctx: RequestContext, status: int) -> None:
        """Write the request's record; returns once it is durable. Idempotent."""
        future = self.submit(ctx, status)
        if future is not None:
            await future

    def close(self) -> None:
        self.writer.close()
