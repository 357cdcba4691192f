"""Token-bucket vocabulary shared by the quota backends.

A bucket holds up to `capacity` units and refills at `rate` units per second. Taking is
all-or-nothing across the buckets of one request: a request that passes its key's bucket but not
its tenant's must not have drained the key's.

A `BucketPlan` is the list of buckets one key's requests draw from (its own and its tenant's),
built once per key and limits and reused by every request: the request path then only computes
levels, never subjects, rates or header texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from agadir.governance.limits import PERIOD_SECONDS, Dimension, Limits


@dataclass(frozen=True, slots=True)
class BucketPlan:
    """The buckets of one (key, key limits, tenant, tenant limits), in a fixed order.

    Parallel tuples rather than a tuple of objects: the hot loops zip them without attribute
    lookups. `key_limits`/`tenant_limits` let a cache check that the plan is still current.
    """

    subjects: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    is_rpm: tuple[bool, ...]
    capacities: tuple[float, ...]
    rates: tuple[float, ...]
    request_index: tuple[int, ...]  # the requests/min buckets
    token_index: tuple[int, ...]  # the tokens/min and tokens/day buckets
    token_subjects: tuple[str, ...]  # their subjects: what `settle` corrects
    limit_texts: tuple[str, ...]  # str(int(capacity)), for x-ratelimit-limit-*
    key_limits: Limits
    tenant_limits: Limits

    @classmethod
    def of(cls, key_id: str, key_limits: Limits, tenant: str, tenant_limits: Limits) -> BucketPlan:
        subjects: list[str] = []
        dims: list[Dimension] = []
        caps: list[float] = []
        for owner, name, limits in (("key", key_id, key_limits), ("tenant", tenant, tenant_limits)):
            for dim, limit in limits.items():
                subjects.append(f"{owner}:{name}:{dim}")
                dims.append(dim)
                caps.append(float(limit))
        return cls(
            subjects=tuple(subjects),
            dimensions=tuple(dims),
            is_rpm=tuple(d == "rpm" for d in dims),
            capacities=tuple(caps),
            rates=tuple(c / PERIOD_SECONDS[d] for c, d in zip(caps, dims, strict=True)),
            request_index=tuple(i for i, d in enumerate(dims) if d == "rpm"),
            token_index=tuple(i for i, d in enumerate(dims) if d != "rpm"),
            token_subjects=tuple(s for s, d in zip(subjects, dims, strict=True) if d != "rpm"),
            limit_texts=tuple(str(int(c)) for c in caps),
            key_limits=key_limits,
            tenant_limits=tenant_limits,
        )

    def needs(self, tokens: int) -> list[float]:
        """What a request estimated at `tokens` takes from each bucket: one request from the
        requests/min buckets, the estimate (capped at capacity, see `quotas`) from the others."""
        wanted = float(tokens) if tokens > 0 else 0.0
        return [
            1.0 if rpm else (cap if wanted > cap else wanted)
            for rpm, cap in zip(self.is_rpm, self.capacities, strict=True)
        ]


def refill(level: float, updated: float, now: float, capacity: float, rate: float) -> float:
    """The level at `now`, never above capacity, never refilling backwards in time."""
    return min(capacity, level + max(0.0, now - updated) * rate)


class QuotaBackend(Protocol):
    """Where bucket levels live: in process memory (SQLite) or in PostgreSQL rows."""

    def take(
        self, plan: BucketPlan, needs: Sequence[float], now: float
    ) -> tuple[bool, list[float]]:
        """Atomically take every bucket's need, or nothing; return the levels after (in plan
        order; when refused, the current levels)."""
        ...

    def give(self, subjects: Sequence[str], amount: float, now: float) -> None:
        """Add `amount` (negative: charge more) to the buckets, capped at capacity."""
        ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
