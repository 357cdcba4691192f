"""What governance learns about one request, filled in as it travels and audited at the end."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from agadir.errors import AgadirError
from agadir.governance import Principal, Reservation


@dataclass
class RequestContext:
    endpoint: str
    started: float = field(default_factory=time.perf_counter)
    principal: Principal | None = None
    auth_error: AgadirError | None = None  # a refusal found at the edge, raised by the route
    model: str | None = None
    model_sha256: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    pii: dict[str, int] = field(default_factory=dict)
    quota: dict[str, int] = field(default_factory=dict)
    reservation: Reservation | None = None
    request_text: str | None = None
    response_text: str | None = None
    chunks: list[str] = field(default_factory=list)
    error_type: str | None = None
    kind: str = "request"
    extra: dict[str, Any] = field(default_factory=dict)
    rate_headers: dict[str, str] = field(default_factory=dict)
    audited: bool = False

    def count_pii(self, counts: dict[str, int], direction: str) -> None:
        prefix = "" if direction == "in" else "out:"
        for kind, n in counts.items():
            self.pii[prefix + kind] = self.pii.get(prefix + kind, 0) + n


def request_context(request: Request) -> RequestContext:
    """The context `AuditMiddleware` attached to this request."""
    ctx = request.scope.get("state", {}).get("agadir_ctx")
    if ctx is None:  # a route outside the audited prefixes asked for one: make it explicit
        ctx = RequestContext(endpoint=request.url.path)
        request.scope.setdefault("state", {})["agadir_ctx"] = ctx
    assert isinstance(ctx, RequestContext)
    return ctx
