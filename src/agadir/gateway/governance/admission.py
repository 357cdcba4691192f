"""May this request read or use tenant data, and how much: the one admission path.

Order on the request path (ARCHITECTURE.md): authenticate -> scope/model policy -> quota ->
PII policy on input -> engine (or search) -> PII policy on output -> settle -> audit. `admit`
does every step before the engine in one call, so no data endpoint (chat, completions,
embeddings, language tools, knowledge search) can skip one; `settle` closes the quota.

Does not authenticate (`Authenticator`) and does not write the record (`AuditSink`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import orjson

from agadir.engines.manager import ModelEntry
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.pii_policies import TenantPiiPolicies
from agadir.gateway.governance.pii_stream import StreamingPiiFilter
from agadir.governance import QuotaService
from agadir.lang.pii import PiiPolicy

# Input text above this many characters is scanned for PII in a worker thread: the scan is
# Python code, so the event loop gets the interpreter back every switch interval meanwhile.
OFFLOAD_CHARS = 64 * 1024


class Admission:
    """Scope and model policy, quota reservation and the input PII policy, per request.

    `offload`: quota statements go to the database (PostgreSQL), so they run in a worker
    thread; the embedded store's in-memory buckets answer on the loop.
    """

    def __init__(self, quotas: QuotaService, *, offload: bool = False) -> None:
        self.quotas = quotas
        self.offload = offload
        self.policies = TenantPiiPolicies()

    async def admit(
        self,
        ctx: RequestContext,
        *,
        scope: str | None,
        entry: ModelEntry | None,
        texts: Sequence[str],
        max_tokens: int,
    ) -> list[str]:
        """Check scope and model, apply the input PII policy (block: 400), reserve quota
        (429 when spent); return the texts to send on, and keep them for the audit record.

        `scope` None: the caller has already applied a finer rule than a scope (a knowledge
        base's readers, its owner), so only quota and the PII policy remain."""
        principal = ctx.principal
        assert principal is not None, "authenticate first"
        if scope is not None:
            principal.require(scope)
        if entry is not None:
            principal.require_model(entry.name)
            ctx.model, ctx.model_sha256 = entry.name, entry.sha256
        policy = self.policies.for_tenant(principal.tenant)[0]
        if policy is None:
            out = list(texts)
        elif sum(map(len, texts)) > OFFLOAD_CHARS:  # seconds of scanning: not on the loop
            out = await asyncio.to_thread(_apply, policy, ctx, texts)
        else:
            out = _apply(policy, ctx, texts)
        estimate = sum(map(len, out)) // 3 + max_tokens
        if self.offload:
            reservation = await asyncio.to_thread(self.quotas.reserve, principal, estimate)
        else:
            reservation = self.quotas.reserve(principal, estimate)
        ctx.reservation = reservation
        ctx.quota = reservation.state  # a fresh dict per reservation: no copy needed
        ctx.rate_headers = reservation.headers
        ctx.request_text = _joined(out) if len(out) > 1 else out[0] if out else ""
        return out

    def output_filter(self, ctx: RequestContext) -> StreamingPiiFilter | None:
        """A filter for generated text under the tenant's policy, or None when it is off."""
        assert ctx.principal is not None
        policy = self.policies.for_tenant(ctx.principal.tenant)[1]
        return None if policy is None else StreamingPiiFilter(policy)

    async def settle(
        self,
        ctx: RequestContext,
        prompt_tokens: int,
        completion_tokens: int,
        response_text: str | None,
        pii: StreamingPiiFilter | None = None,
    ) -> None:
        """Record what the engine used and answered; charge the quota what was really used.

        An unsettled reservation (client gone mid-stream, engine failure, a search) stays
        charged at its estimate: cheaper to over-count than to let aborts dodge quotas."""
        ctx.prompt_tokens, ctx.completion_tokens = prompt_tokens, completion_tokens
        ctx.response_text = response_text
        if pii is not None and pii.counts:
            ctx.count_pii(pii.counts, "out")
        if ctx.reservation is not None:
            reservation, ctx.reservation = ctx.reservation, None
            used = prompt_tokens + completion_tokens
            if self.offload:
                await asyncio.to_thread(self.quotas.settle, reservation, used)
            else:
                self.quotas.settle(reservation, used)


def _apply(policy: PiiPolicy, ctx: RequestContext, texts: Sequence[str]) -> list[str]:
    """The input policy on each text, counting what it found; block raises PiiBlockedError."""
    out = []
    for text in texts:
        result = policy.apply(text)
        if result.counts:
            ctx.count_pii(result.counts_for_audit(), "in")
        out.append(result.text)
    return out


def _joined(texts: list[str]) -> str:
    """Several texts as one JSON array for the audit record (orjson: megabytes in
    milliseconds; the stdlib for text orjson refuses, which the edge has already refused)."""
    try:
        return orjson.dumps(texts).decode()
    except TypeError:
        return json.dumps(texts, ensure_ascii=False)
