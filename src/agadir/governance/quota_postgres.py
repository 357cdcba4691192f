"""Quota buckets as PostgreSQL rows, taken with one atomic statement (the replica strategy).

Why one statement: several gateway replicas share the counters, so a take must be
read-refill-compare-write without a race. The statement locks the request's bucket rows in
subject order (no deadlocks between requests touching the same buckets), computes every refilled
level, decides all-or-nothing, and writes — one round trip, no application-side transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import text

from agadir.governance.buckets import BucketPlan
from agadir.store import Store

_ENSURE = text(
    "INSERT INTO quota_buckets (subject, capacity, rate, level, updated) "
    "SELECT s, c, r, c, :now FROM unnest(CAST(:subjects AS text[]), CAST(:caps AS float8[]), "
    "CAST(:rates AS float8[])) AS t(s, c, r) ON CONFLICT (subject) DO NOTHING"
)

_TAKE = text(
    """
WITH req AS (
  SELECT * FROM unnest(CAST(:subjects AS text[]), CAST(:needs AS float8[]),
                       CAST(:caps AS float8[]), CAST(:rates AS float8[]))
         AS r(subject, need, capacity, rate)
), locked AS (
  SELECT b.subject, b.level, b.updated FROM quota_buckets b
  WHERE b.subject = ANY(CAST(:subjects AS text[])) ORDER BY b.subject FOR UPDATE
), cur AS (
  SELECT req.subject, req.need, req.capacity, req.rate,
         LEAST(req.capacity, locked.level + GREATEST(0, :now - locked.updated) * req.rate) AS lvl
  FROM req JOIN locked ON locked.subject = req.subject
), verdict AS (
  SELECT bool_and(lvl >= need) AS ok FROM cur
)
UPDATE quota_buckets b
SET level = cur.lvl - CASE WHEN verdict.ok THEN cur.need ELSE 0 END,
    updated = :now, capacity = cur.capacity, rate = cur.rate
FROM cur, verdict
WHERE b.subject = cur.subject
RETURNING b.subject, b.level, verdict.ok
"""
)

_GIVE = text(
    "UPDATE quota_buckets SET level = LEAST(capacity, level + :amount) "
    "WHERE subject = ANY(CAST(:subjects AS text[]))"
)


class PostgresQuotaBackend:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def take(
        self, plan: BucketPlan, needs: Sequence[float], now: float
    ) -> tuple[bool, list[float]]:
        params = {
            "subjects": list(plan.subjects),
            "needs": list(needs),
            "caps": list(plan.capacities),
            "rates": list(plan.rates),
            "now": now,
        }
        with self._lock:
            fresh = any(s not in self._known for s in plan.subjects)
        with self._store.engine.begin() as conn:
            if fresh:
                conn.execute(_ENSURE, params)
            rows = conn.execute(_TAKE, params).all()
        with self._lock:
            self._known.update(plan.subjects)
        levels = {r.subject: r.level for r in rows}
        ok = bool(rows) and all(r.ok for r in rows)
        return ok, [levels[s] for s in plan.subjects]

    def give(self, subjects: Sequence[str], amount: float, now: float) -> None:
        with self._store.engine.begin() as conn:
            conn.execute(_GIVE, {"subjects": list(subjects), "amount": amount})

    def flush(self) -> None:
        """Nothing to do: every take is already committed."""

    def close(self) -> None:
        """Nothing to release: connections belong to the store."""
