"""What governance is made of in one gateway process, as the app factory wires it.

`Governance` holds the parts, each one concept: the store and the tenant and key services the
admin API manages, the `Authenticator` (who is asking), `Admission` (may they, how much, PII
policy on input) and the `AuditSink` (the record). It builds nothing itself:
`agadir.gateway.app.create_app` opens the store and starts the audit writer.

`admit`, `output_filter`, `settle`, `submit_audit` and `audit` hand straight to the part that
owns them (they return the part's coroutine; no extra frame): the generation endpoints call
them through `state.governance`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from agadir.audit.process_writer import ProcessAuditWriter
from agadir.config import Settings
from agadir.engines.manager import ModelEntry
from agadir.gateway.governance.admission import Admission
from agadir.gateway.governance.audit_sink import AuditSink
from agadir.gateway.governance.authenticator import Authenticator
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.pii_stream import StreamingPiiFilter
from agadir.governance import KeyService, QuotaService, TenantService, ensure_admin_key
from agadir.store import Store


@dataclass
class Governance:
    settings: Settings
    store: Store
    keys: KeyService
    tenants: TenantService
    quotas: QuotaService
    authenticator: Authenticator
    admission: Admission
    audit_sink: AuditSink

    @property
    def writer(self) -> ProcessAuditWriter:
        return self.audit_sink.writer

    def admin_key_file(self) -> str | None:
        path = ensure_admin_key(self.settings, self.store)
        return str(path) if path else None

    def close(self) -> None:
        self.quotas.close()
        self.audit_sink.close()
        self.store.close()

    # -- the parts' request-path calls, as the endpoints know them -------------------------------
    def admit(
        self,
        ctx: RequestContext,
        *,
        scope: str | None,
        entry: ModelEntry | None,
        texts: Sequence[str],
        max_tokens: int,
    ) -> Awaitable[list[str]]:
        return self.admission.admit(
            ctx, scope=scope, entry=entry, texts=texts, max_tokens=max_tokens
        )

    def output_filter(self, ctx: RequestContext) -> StreamingPiiFilter | None:
        return self.admission.output_filter(ctx)

    def settle(
        self,
        ctx: RequestContext,
        prompt_tokens: int,
        completion_tokens: int,
        response_text: str | None,
        pii: StreamingPiiFilter | None = None,
    ) -> Awaitable[None]:
        return self.admission.settle(ctx, prompt_tokens, completion_tokens, response_text, pii)

    def submit_audit(self, ctx: RequestContext, status: int) -> asyncio.Future[int] | None:
        return self.audit_sink.submit(ctx, status)

    def audit(self, ctx: RequestContext, status: int) -> Awaitable[None]:
        return self.audit_sink.audit(ctx, status)
