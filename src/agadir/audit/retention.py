"""Retention: delete records older than the policy and leave a signed checkpoint.

Only a *prefix* of the chain is ever deleted: everything before the first record younger than the
cut-off. So no record younger than `keep` is lost even if timestamps are slightly out of order
across a batch. The checkpoint (appended to the chain like any record) carries the last purged
seq and hash, signed with the audit key; `verify` starts from it instead of the genesis hash.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from agadir.audit.chain import append_locked, lock_head
from agadir.audit.errors import AuditUnavailableError
from agadir.audit.record import AuditRecord
from agadir.audit.signing import sign
from agadir.audit.verify import checkpoint_message
from agadir.store import Store
from agadir.store.schema import audit_log


@dataclass(frozen=True)
class PurgeResult:
    purged: int
    purged_through: int | None
    checkpoint_seq: int | None


def purge(store: Store, key: bytes, keep: timedelta, *, now: float | None = None) -> PurgeResult:
    """Delete records older than `keep` and append a signed checkpoint, in one transaction."""
    cutoff = (time.time() if now is None else now) - keep.total_seconds()
    try:
        with store.write() as conn:
            head_seq, _ = lock_head(conn)
            first_young = conn.execute(
                select(func.min(audit_log.c.seq)).where(audit_log.c.ts >= cutoff)
            ).scalar()
            through = head_seq if first_young is None else int(first_young) - 1
            row = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == through)).first()
            if row is None:  # nothing older than the cut-off is left
                return PurgeResult(0, None, None)
            purged = conn.execute(delete(audit_log).where(audit_log.c.seq <= through)).rowcount
            fields = {
                "purged_through": through,
                "anchor_hash": row.hash,
                "purged": purged,
                "cutoff": round(cutoff, 6),
            }
            signed = {**fields, "signature": sign(key, checkpoint_message(fields))}
            record = AuditRecord(
                endpoint="audit.purge",
                status=200,
                kind="checkpoint",
                extra={"checkpoint": signed},
            )
            (seq,) = append_locked(conn, key, [record])
    except SQLAlchemyError as exc:
        raise AuditUnavailableError(f"cannot purge the audit log: {exc}") from exc
    return PurgeResult(purged, through, seq)


def newest_record_ts(store: Store) -> float | None:
    """When the latest record (not a checkpoint) was written; None for an empty log. Lets a
    caller see that a purge would leave nothing but its own checkpoint."""
    with store.read() as conn:
        value = conn.execute(
            select(func.max(audit_log.c.ts)).where(audit_log.c.kind != "checkpoint")
        ).scalar()
    return None if value is None else float(value)
