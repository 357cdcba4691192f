"""Quotas and rate limits on the request path: `reserve` before the engine, `settle` after.

Every request takes one unit from each requests/min bucket and its *estimated* tokens (prompt +
max_tokens) from each tokens/min and tokens/day bucket, for both the key and its tenant. After
the engine answers, `settle` gives back what the estimate over-charged (or charges the excess).
An estimate larger than a bucket's capacity is capped at the capacity: such a request waits for
a full bucket instead of being refused forever.

The backend is chosen by the store: in-memory with batched persistence for SQLite, atomic
statements for PostgreSQL (see `quota_memory` and `quota_postgres` for the trade-off).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agadir.governance.buckets import BucketLevel, BucketSpec, QuotaBackend
from agadir.governance.errors import RateLimitedError
from agadir.governance.limits import PERIOD_SECONDS, Dimension, Limits
from agadir.governance.principal import Principal
from agadir.store import Store


def format_reset(seconds: float) -> str:
    """OpenAI's duration style for x-ratelimit-reset-*: `0s`, `1.5s`, `6m0s`, `2h3m4s`."""
    if seconds < 60:
        return f"{math.ceil(seconds * 10) / 10:g}s"
    total = math.ceil(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}h" if hours else "") + f"{minutes}m{secs}s"


def _headers(levels: list[BucketLevel]) -> dict[str, str]:
    """x-ratelimit-* from the most constrained request bucket and token bucket."""
    headers: dict[str, str] = {}
    for kind, dims in (("requests", ("rpm",)), ("tokens", ("tpm", "tpd"))):
        relevant = [b for b in levels if b.spec.dimension in dims]
        if not relevant:
            continue
        tightest = min(relevant, key=lambda b: b.level)
        headers[f"x-ratelimit-limit-{kind}"] = str(int(tightest.spec.capacity))
        headers[f"x-ratelimit-remaining-{kind}"] = str(max(0, math.floor(tightest.level)))
        headers[f"x-ratelimit-reset-{kind}"] = format_reset(tightest.seconds_to_full)
    return headers


@functools.lru_cache(maxsize=4096)
def _bucket_shapes(
    key_id: str, key_limits: Limits, tenant: str, tenant_limits: Limits
) -> tuple[tuple[str, Dimension, float, float], ...]:
    """(subject, dimension, capacity, rate) of each bucket a key's requests draw from; cached
    because the request path asks for the same shapes on every call."""
    shapes = []
    for owner, name, limits in (("key", key_id, key_limits), ("tenant", tenant, tenant_limits)):
        for dim, limit in limits.items():
            capacity = float(limit)
            shapes.append((f"{owner}:{name}:{dim}", dim, capacity, capacity / PERIOD_SECONDS[dim]))
    return tuple(shapes)


@dataclass(frozen=True)
class Reservation:
    """What a request took: settle it with the actual token count once known."""

    token_subjects: tuple[str, ...]
    tokens: int
    headers: dict[str, str] = field(default_factory=dict)
    state: dict[str, int] = field(default_factory=dict)


class QuotaService:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        backend: QuotaBackend | None = None,
    ) -> None:
        self._clock = clock
        if backend is None:
            if store.kind == "postgresql":
                from agadir.governance.quota_postgres import PostgresQuotaBackend

                backend = PostgresQuotaBackend(store)
            else:
                from agadir.governance.quota_memory import MemoryQuotaBackend

                backend = MemoryQuotaBackend(store)
        self._backend = backend

    @staticmethod
    def specs_for(principal: Principal, tokens: int) -> list[BucketSpec]:
        tokens = max(tokens, 0)
        return [
            BucketSpec(
                subject, dim, capacity, rate, 1.0 if dim == "rpm" else float(min(tokens, capacity))
            )
            for subject, dim, capacity, rate in _bucket_shapes(
                principal.key_id, principal.limits, principal.tenant.name, principal.tenant.limits
            )
        ]

    def reserve(self, principal: Principal, tokens: int) -> Reservation:
        """Take one request and `tokens` estimated tokens, or raise `RateLimitedError` (429)."""
        specs = self.specs_for(principal, tokens)
        if not specs:
            return Reservation(token_subjects=(), tokens=tokens)
        ok, levels = self._backend.take(specs, self._clock())
        headers = _headers(levels)
        state = {b.spec.subject: max(0, math.floor(b.level)) for b in levels}
        if not ok:
            short = [b for b in levels if b.level < b.spec.need]
            retry = max(b.seconds_until_enough for b in short)
            which = ", ".join(f"{b.spec.subject.split(':')[0]} {b.spec.dimension}" for b in short)
            raise RateLimitedError(
                f"rate limit reached ({which}); retry in {math.ceil(retry)} s or ask an "
                "administrator to raise the limit",
                retry_after=retry,
                headers=headers,
            )
        subjects = tuple(s.subject for s in specs if s.dimension != "rpm")
        return Reservation(token_subjects=subjects, tokens=tokens, headers=headers, state=state)

    def settle(self, reservation: Reservation, actual_tokens: int) -> None:
        """Correct the token buckets by (reserved - actual); a no-op when they are equal."""
        delta = reservation.tokens - actual_tokens
        if reservation.token_subjects and delta != 0:
            self._backend.give(list(reservation.token_subjects), float(delta), self._clock())

    def flush(self) -> None:
        self._backend.flush()

    def close(self) -> None:
        """Persist what is pending (SQLite strategy); call on shutdown."""
        self._backend.close()
