"""Quota buckets in process memory, persisted to the store in batches (the SQLite strategy).

Why: with SQLite a write costs an fsync, and the request path must stay at microseconds. Levels
live in a dict under one lock; a background thread upserts the changed buckets every
`flush_interval_s` and `close()` flushes the rest, so counters survive restarts. The trade-off: a
crash (SIGKILL) forgets at most one interval of consumption, and buckets are per process — one
SQLite gateway process is the embedded deployment; several replicas should use PostgreSQL.
"""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from agadir.governance.buckets import BucketLevel, BucketSpec, refill
from agadir.store import Store
from agadir.store.schema import quota_buckets


class MemoryQuotaBackend:
    def __init__(self, store: Store, *, flush_interval_s: float = 1.0) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._levels: dict[str, list[float]] = {}  # subject -> [level, updated, capacity, rate]
        self._dirty: set[str] = set()
        self._interval = flush_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _load(self, specs: list[BucketSpec], now: float) -> None:
        missing = [s for s in specs if s.subject not in self._levels]
        if not missing:
            return
        with self._store.read() as conn:
            rows = conn.execute(
                select(quota_buckets).where(
                    quota_buckets.c.subject.in_([s.subject for s in missing])
                )
            ).all()
        stored = {r.subject: r for r in rows}
        for spec in missing:
            row = stored.get(spec.subject)
            if row is None:
                self._levels[spec.subject] = [spec.capacity, now, spec.capacity, spec.rate]
            else:
                self._levels[spec.subject] = [row.level, row.updated, spec.capacity, spec.rate]

    def take(self, specs: list[BucketSpec], now: float) -> tuple[bool, list[BucketLevel]]:
        self._ensure_thread()
        with self._lock:
            self._load(specs, now)
            current = []
            for spec in specs:
                state = self._levels[spec.subject]
                state[2], state[3] = spec.capacity, spec.rate
                current.append(refill(state[0], state[1], now, spec.capacity, spec.rate))
            ok = all(level >= spec.need for level, spec in zip(current, specs, strict=True))
            result = []
            for level, spec in zip(current, specs, strict=True):
                new = level - spec.need if ok else level
                state = self._levels[spec.subject]
                state[0], state[1] = new, now
                self._dirty.add(spec.subject)
                result.append(BucketLevel(spec, new))
            return ok, result

    def give(self, subjects: list[str], amount: float, now: float) -> None:
        with self._lock:
            for subject in subjects:
                state = self._levels.get(subject)
                if state is None:
                    continue
                level = refill(state[0], state[1], now, state[2], state[3])
                state[0], state[1] = min(state[2], level + amount), now
                self._dirty.add(subject)

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
