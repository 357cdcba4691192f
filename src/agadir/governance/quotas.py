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

import math
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from agadir.governance.buckets import BucketPlan, QuotaBackend
from agadir.governance.errors import RateLimitedError
from agadir.governance.principal import Principal
from agadir.store import Store


def format_reset(seconds: float) -> str:
    """OpenAI's duration style for x-ratelimit-reset-*: `0s`, `1.5s`, `6m0s`, `2h3m4s`."""
    if seconds < 60:
        tenths = math.ceil(seconds * 10)  # rounded up: never promise a refill too early
        whole, frac = divmod(tenths, 10)
        return f"{whole}.{frac}s" if frac else f"{whole}s"
    total = math.ceil(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}h" if hours else "") + f"{minutes}m{secs}s"


def _tightest(levels: Sequence[float], index: tuple[int, ...]) -> int:
    """The bucket of `index` with the lowest level (the first on ties)."""
    best = index[0]
    for i in index[1:]:
        if levels[i] < levels[best]:
            best = i
    return best


_HEADER_NAMES = tuple(
    (
        f"x-ratelimit-limit-{kind}",
        f"x-ratelimit-remaining-{kind}",
        f"x-ratelimit-reset-{kind}",
    )
    for kind in ("requests", "tokens")
)


def rate_headers(plan: BucketPlan, levels: Sequence[float]) -> dict[str, str]:
    """x-ratelimit-* from the most constrained request bucket and token bucket."""
    headers: dict[str, str] = {}
    for (limit, remaining, reset), index in zip(
        _HEADER_NAMES, (plan.request_index, plan.token_index), strict=True
    ):
        if not index:
            continue
        i = _tightest(levels, index)
        level = levels[i]
        headers[limit] = plan.limit_texts[i]
        headers[remaining] = str(int(level) if level > 0 else 0)
        to_full = (plan.capacities[i] - level) / plan.rates[i]
        headers[reset] = format_reset(to_full if to_full > 0 else 0.0)
    return headers


class Reservation(NamedTuple):
    """What a request took: settle it with the actual token count once known. `headers` are
    the x-ratelimit-* response headers, `state` each bucket's remaining level (for audit).
    A NamedTuple: one is built per request, and a frozen dataclass costs twice as much."""

    token_subjects: tuple[str, ...]
    tokens: int
    headers: dict[str, str]
    state: dict[str, int]


class QuotaService:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        backend: QuotaBackend | None = None,
        plan_cache_size: int = 4096,
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
        self._plans: dict[tuple[str, str], BucketPlan] = {}
        self._plan_cache_size = plan_cache_size

    def plan_for(self, principal: Principal) -> BucketPlan:
        """The buckets `principal` draws from; rebuilt when its key's or tenant's limits change
        (the key cache hands out new `Limits` objects then, so the identity check is enough in
        the common case and equality catches the rest)."""
        tenant = principal.tenant
        cache_key = (principal.key_id, tenant.name)
        plan = self._plans.get(cache_key)
        if plan is not None and (
            (plan.key_limits is principal.limits and plan.tenant_limits is tenant.limits)
            or (plan.key_limits == principal.limits and plan.tenant_limits == tenant.limits)
        ):
            return plan
        plan = BucketPlan.of(principal.key_id, principal.limits, tenant.name, tenant.limits)
        if len(self._plans) >= self._plan_cache_size:
            self._plans.clear()
        self._plans[cache_key] = plan
        return plan

    def reserve(self, principal: Principal, tokens: int) -> Reservation:
        """Take one request and `tokens` estimated tokens, or raise `RateLimitedError` (429)."""
        plan = self.plan_for(principal)
        if not plan.subjects:
            return Reservation((), tokens, {}, {})
        needs = plan.needs(tokens)
        ok, levels = self._backend.take(plan, needs, self._clock())
        headers = rate_headers(plan, levels)
        if not ok:
            raise self._refusal(plan, needs, levels, headers)
        # after a granted take every level is >= 0, so int() is the floor
        state = dict(zip(plan.subjects, map(int, levels), strict=True))
        return Reservation(plan.token_subjects, tokens, headers, state)

    @staticmethod
    def _refusal(
        plan: BucketPlan, needs: Sequence[float], levels: Sequence[float], headers: dict[str, str]
    ) -> RateLimitedError:
        short = [i for i, level in enumerate(levels) if level < needs[i]]
        retry = max((needs[i] - levels[i]) / plan.rates[i] for i in short)
        which = ", ".join(f"{plan.subjects[i].split(':')[0]} {plan.dimensions[i]}" for i in short)
        return RateLimitedError(
            f"rate limit reached ({which}); retry in {math.ceil(retry)} s or ask an "
            "administrator to raise the limit",
            retry_after=retry,
            headers=headers,
        )

    def settle(self, reservation: Reservation, actual_tokens: int) -> None:
        """Correct the token buckets by (reserved - actual); a no-op when they are equal."""
        delta = reservation.tokens - actual_tokens
        if reservation.token_subjects and delta != 0:
            self._backend.give(reservation.token_subjects, float(delta), self._clock())

    def flush(self) -> None:
        self._backend.flush()

    def close(self) -> None:
        """Persist what is pending (SQLite strategy); call on shutdown."""
        self._backend.close()
