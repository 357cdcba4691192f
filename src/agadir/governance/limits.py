"""Quota limits attached to a tenant or a key: requests/min, tokens/min, tokens/day.

`None` means unlimited for that dimension. Each limit becomes one token bucket whose capacity
is the limit and whose refill rate is limit / period, so bursts up to the limit are allowed and
the long-run rate is the limit (tokens/day is thus a rolling day, not a calendar day).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dimension = Literal["rpm", "tpm", "tpd"]
PERIOD_SECONDS: dict[Dimension, float] = {"rpm": 60.0, "tpm": 60.0, "tpd": 86400.0}


@dataclass(frozen=True)
class Limits:
    rpm: int | None = None
    tpm: int | None = None
    tpd: int | None = None

    def items(self) -> list[tuple[Dimension, int]]:
        """The limits that are set, as (dimension, value)."""
        pairs: list[tuple[Dimension, int | None]] = [
            ("rpm", self.rpm),
            ("tpm", self.tpm),
            ("tpd", self.tpd),
        ]
        return [(d, v) for d, v in pairs if v is not None]

    def describe(self) -> str:
        parts = [
            f"{v}/{'min' if d != 'tpd' else 'day'} {'req' if d == 'rpm' else 'tok'}"
            for d, v in self.items()
        ]
        return ", ".join(parts) or "unlimited"
