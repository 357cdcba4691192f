"""Quota buckets in process memory, persisted to the store in batches (the SQLite strategy).

Why: with SQLite a write costs an fsync, and the request path must stay at microseconds. Levels
live in a dict under one lock; a background thread upserts the changed buckets every
`flush_interval_s` and `close()` flushes the rest, so counters survive restarts. The trade-off: a
crash (SIGKILL) forgets at most one interval of consumption, and buckets are per process — one
SQLite gateway process is the embedded deployment; several replicas should use PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from agadir.governance.buckets import BucketPlan
from agadir.store import Store
from agadir.store.schema import quota_buckets


class MemoryQuotaBackend:
    def __init__(self, store: Store, *, flush_interval_s: float = 1.0) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._levels: dict[str, list[float]] = {}  # subject -> [level, updated, capacity, rate]
        self._cells: dict[tuple[str, ...], list[list[float]]] = {}  # plan subjects -> cells
        self._dirty: set[str] = set()
        self._interval = flush_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _load(self, plan: BucketPlan, now: float) -> list[list[float]]:
        """The state cells of the plan's buckets, read from the store the first time."""
        cells = self._cells.get(plan.subjects)
        if cells is not None:
            return cells
        levels = self._levels
        missing = [s for s in plan.subjects if s not in levels]
        if missing:
            with self._store.read() as conn:
                rows = conn.execute(
                    select(quota_buckets).where(quota_buckets.c.subject.in_(missing))
                ).all()
            stored = {r.subject: r for r in rows}
            for subject, cap, rate in zip(plan.subjects, plan.capacities, plan.rates, strict=True):
                if subject in levels:
                    continue
                row = stored.get(subject)
                levels[subject] = (
                    [cap, now, cap, rate] if row is None else [row.level, row.updated, cap, rate]
                )
        cells = [levels[s] for s in plan.subjects]
        if len(self._cells) >= 4096:
            self._cells.clear()
        self._cells[plan.subjects] = cells
        return cells

    def take(
        self, plan: BucketPlan, needs: Sequence[float], now: float
    ) -> tuple[bool, list[float]]:
        if self._thread is None:
            self._ensure_thread()
        with self._lock:
            cells = self._load(plan, now)
            current = []
            ok = True
            limits = zip(cells, plan.capacities, plan.rates, needs, strict=True)
            for cell, cap, rate, need in limits:
                cell[2] = cap  # limits may have changed since the bucket was loaded
                cell[3] = rate
                level = cell[0] + (now - cell[1]) * rate if now > cell[1] else cell[0]
                if level > cap:
                    level = cap
                if level < need:
                    ok = False
                current.append(level)
            if ok:
                current = [level - need for level, need in zip(current, needs, strict=True)]
            for cell, level in zip(cells, current, strict=True):
                cell[0] = level
                cell[1] = now
            self._dirty.update(plan.subjects)
            return ok, current

    def give(self, subjects: Sequence[str], amount: float, now: float) -> None:
        with self._lock:
            levels = self._levels
            for subject in subjects:
                state = levels.get(subject)
                if state is None:
                    continue
                level, updated, capacity = state[0], state[1], state[2]
                if now > updated:
                    level += (now - updated) * state[3]
                level = (capacity if level > capacity else level) + amount
                state[0] = capacity if level > capacity else level
                state[1] = now
            self._dirty.update(subjects)

    def flush(self) -> None:
        """Upsert every changed bucket in one transaction."""
        with self._lock:
            rows = [
                {"subject": s, "level": v[0], "updated": v[1], "capacity": v[2], "rate": v[3]}
                for s in self._dirty
                for v in [self._levels[s]]
            ]
            self._dirty.clear()
        if not rows:
            return
        insert = pg_insert if self._store.kind == "postgresql" else sqlite_insert
        statement = insert(quota_buckets)
        statement = statement.on_conflict_do_update(
            index_elements=[quota_buckets.c.subject],
            set_={c: statement.excluded[c] for c in ("level", "updated", "capacity", "rate")},
        )
        try:
            with self._store.write() as conn:
                conn.execute(statement, rows)
        except Exception:
            with self._lock:  # keep them dirty: retried at the next flush
                self._dirty.update(str(r["subject"]) for r in rows)
            raise

    def _ensure_thread(self) -> None:
        if self._thread is None and self._interval > 0:
            self._thread = threading.Thread(
                target=self._run, name="agadir-quota-flush", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:  # the store is down; the next tick retries, requests go on
                continue

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
