"""Parse the operator's time expressions: durations (`30d`, `12h`, `90m`) and dates.

Used by `keys create --expires` and `audit purge --keep`/`export --since`. Dates without a time
zone are taken as UTC, so the same command means the same instant on every server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from agadir.governance.errors import InvalidTimeSpecError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w|y)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(raw: str) -> timedelta:
    """`180d` → 180 days. Units: s, m (minutes), h, d, w, y (365 days)."""
    match = _DURATION.match(raw)
    if not match:
        raise InvalidTimeSpecError(
            f"cannot read the duration {raw!r}: write a number and a unit, e.g. 30d, 12h, 90m"
        )
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def parse_instant(raw: str) -> datetime:
    """An ISO date or date-time (`2027-01-01`, `2027-01-01T08:00+01:00`), UTC when naive."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InvalidTimeSpecError(
            f"cannot read the date {raw!r}: use YYYY-MM-DD or an ISO 8601 date-time"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_expiry(raw: str, *, now: datetime | None = None) -> datetime:
    """A duration from now (`30d`) or an absolute date (`2027-01-01`); must lie in the future."""
    now = now or datetime.now(UTC)
    instant = now + parse_duration(raw) if _DURATION.match(raw) else parse_instant(raw)
    if instant <= now:
        raise InvalidTimeSpecError(f"the expiry {raw!r} is in the past; give a future date")
    return instant


def parse_since(raw: str, *, now: datetime | None = None) -> datetime:
    """A duration back from now (`7d` = the last week) or an absolute date."""
    now = now or datetime.now(UTC)
    return now - parse_duration(raw) if _DURATION.match(raw) else parse_instant(raw)
