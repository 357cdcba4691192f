"""One audit record: who asked what, when, and what governance decided.

Values of personal data never appear here: PII is counted by type, and request/response content
follows the tenant's policy — `none` (nothing), `hash` (a keyed hash of each text, enough for
the key's holder to prove later what was sent), or `full` (the text itself, for tenants whose
rules require it).

Why keyed: a bare SHA-256 of a short value (a phone number, a national id) is reversed by
trying every candidate. The digest is `HMAC-SHA256(content_key, UTF-8 text)` where
`content_key = HMAC-SHA256(audit key, "agadir audit content")` (see `signing.content_key`):
without the audit key nothing can be tried, and a content digest can never double as a
signature of the chain head, which uses the audit key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

ContentPolicy = Literal["none", "hash", "full"]


def content_digest(content_key: bytes, text: str) -> str:
    """The keyed digest of one text. `surrogatepass`: whatever reached the record is hashed
    as it is, and hashing never fails (the gateway refuses invalid Unicode at the edge)."""
    data = text.encode("utf-8", "surrogatepass")
    return hmac.new(content_key, data, hashlib.sha256).hexdigest()


def content_for(
    policy: ContentPolicy, request: str | None, response: str | None, content_key: bytes
) -> dict[str, str] | None:
    """The `content` field of a record under a tenant's policy."""
    if policy == "none":
        return None
    texts = {"request": request, "response": response}
    if policy == "hash":
        return {
            f"{name}_hmac": content_digest(content_key, value)
            for name, value in texts.items()
            if value is not None
        }
    return {name: value for name, value in texts.items() if value is not None}


class PendingContent(NamedTuple):
    """The texts of a request and the tenant's policy, resolved (hashed, kept or dropped) by
    `AuditRecord.body` — in the audit writer's process, so the gateway's event loop does not
    spend its time hashing."""

    policy: ContentPolicy
    request: str | None
    response: str | None


@dataclass
class AuditRecord:
    """Fields the gateway fills per request; `kind` is "request", "admin", "event" or
    "checkpoint". `ts` defaults to now (seconds since the epoch, UTC)."""

    endpoint: str
    status: int
    tenant: str | None = None
    key_id: str | None = None
    kind: str = "request"
    model: str | None = None
    model_sha256: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    error_type: str | None = None
    pii: dict[str, int] = field(default_factory=dict)
    quota: dict[str, int] = field(default_factory=dict)
    chunks: list[str] = field(default_factory=list)
    content: dict[str, str] | PendingContent | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    def body(self, seq: int, content_key: bytes) -> dict[str, Any]:
        """The hashed JSON object; `seq` is assigned by the writer under the chain lock,
        `content_key` hashes pending content (`signing.content_key` of the audit key)."""
        ts = round(self.ts, 6)
        content = self.content
        if isinstance(content, PendingContent):
            content = content_for(*content, content_key)
        return {
            "seq": seq,
            "kind": self.kind,
            "ts": ts,
            "time": datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds"),
            "tenant": self.tenant,
            "key_id": self.key_id,
            "endpoint": self.endpoint,
            "status": self.status,
            "error_type": self.error_type,
            "model": self.model,
            "model_sha256": self.model_sha256,
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
            "latency_ms": round(self.latency_ms, 3),
            "pii": self.pii,
            "quota": self.quota,
            "chunks": self.chunks,
            "content": content,
            **({"extra": self.extra} if self.extra else {}),
        }
