"""Commit one batch of audit records: the unit of group commit, shared by both writers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from agadir.audit.chain import append_locked
from agadir.audit.errors import AuditUnavailableError
from agadir.audit.record import AuditRecord
from agadir.store import Store


def _explain(exc: BaseException) -> str:
    """What to fix, from the driver's message (SQLite and PostgreSQL word these alike)."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "the database is read-only; make it writable"
    if "full" in text or "no space" in text:
        return "the disk (or database quota) is full; free space"
    return "the store is unreachable or failing; check it"


def explain_failure(exc: BaseException) -> str:
    """The 503 message for a store that refused an audit write."""
    return (
        f"cannot write the audit log: {_explain(exc)}; requests are refused until the "
        "audit log is writable again"
    )


def commit_batch(store: Store, key: bytes, records: Sequence[AuditRecord]) -> list[int]:
    """Chain and commit `records` in one transaction; return their seqs once durable.

    Raises `AuditUnavailableError` (503) with what to fix when the store refuses the write.
    """
    try:
        with store.write() as conn:
            return append_locked(conn, key, records)
    except (SQLAlchemyError, OSError) as exc:
        raise AuditUnavailableError(explain_failure(exc)) from exc
