"""Token-bucket vocabulary shared by the quota backends.

A bucket holds up to `capacity` units and refills at `rate` units per second. Taking is
all-or-nothing across the buckets of one request: a request that passes its key's bucket but not
its tenant's must not have drained the key's.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from agadir.governance.limits import Dimension


class BucketSpec(NamedTuple):
    """One bucket a request must take from, with the limits currently configured for it.

    NamedTuples rather than frozen dataclasses: several are built per request, and a frozen
    dataclass's __init__ costs several times more."""

    subject: str
    dimension: Dimension
    capacity: float
    rate: float
    need: float


class BucketLevel(NamedTuple):
    """A bucket's level after a take (or its current level when the take was refused)."""

    spec: BucketSpec
    level: float

    @property
    def seconds_to_full(self) -> float:
        return max(0.0, (self.spec.capacity - self.level) / self.spec.rate)

    @property
    def seconds_until_enough(self) -> float:
        """How long until this bucket could serve its `need`."""
        return max(0.0, (self.spec.need - self.level) / self.spec.rate)


def refill(level: float, updated: float, now: float, capacity: float, rate: float) -> float:
    """The level at `now`, never above capacity, never refilling backwards in time."""
    return min(capacity, level + max(0.0, now - updated) * rate)


class QuotaBackend(Protocol):
    """Where bucket levels live: in process memory (SQLite) or in PostgreSQL rows."""

    def take(self, specs: list[BucketSpec], now: float) -> tuple[bool, list[BucketLevel]]:
        """Atomically take every spec's `need`, or nothing; report the levels."""
        ...

    def give(self, subjects: list[str], amount: float, now: float) -> None:
        """Add `amount` (negative: charge more) to the buckets, capped at capacity."""
        ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
