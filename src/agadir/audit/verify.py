"""`AuditChain.verify`: walk the chain and name the first broken record.

Caught: an edited body or column (hash or column/body mismatch), a deleted row (seq gap and
prev_hash mismatch), reordered or inserted rows (prev_hash mismatch), a deleted prefix without a
signed checkpoint, a truncated tail (the signed head no longer matches the last row), a forged
checkpoint (bad HMAC), a deleted head row (nothing vouches for the tail). Not caught: replacing
the database *and* the key file with a consistent forgery — anchor the head hash elsewhere
(export it) if that is in your threat model.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select, text

from agadir.audit.chain import GENESIS, canonical, head_message
from agadir.audit.signing import check
from agadir.store import Store
from agadir.store.schema import audit_head, audit_log

_ROWS = text(
    "SELECT seq, ts, kind, tenant, key_id, body, prev_hash, hash FROM audit_log ORDER BY seq"
)


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    records: int
    seconds: float
    first_seq: int | None = None
    last_seq: int | None = None
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else float("inf")


def checkpoint_message(fields: dict[str, Any]) -> str:
    return "checkpoint:" + canonical(fields).decode("utf-8")


def _anchor(key: bytes, conn: Any) -> tuple[int, str, str | None]:
    """(first expected seq, expected prev_hash, error) from the latest checkpoint, if any."""
    row = conn.execute(
        select(audit_log.c.body)
        .where(audit_log.c.kind == "checkpoint")
        .order_by(audit_log.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return 1, GENESIS, None
    cp = dict(orjson.loads(row.body).get("extra", {}).get("checkpoint", {}))
    signature = str(cp.pop("signature", ""))
    if not cp or not check(key, checkpoint_message(cp), signature):
        return 1, GENESIS, "the latest retention checkpoint's signature is invalid"
    return int(cp["purged_through"]) + 1, str(cp["anchor_hash"]), None


class AuditChain:
    """Read-side operations on the chain of one store."""

    def __init__(self, store: Store, key: bytes) -> None:
        self._store = store
        self._key = key

    def verify(self) -> VerifyReport:
        started = time.perf_counter()
        count, first, last = 0, None, None

        def report(ok: bool, seq: int | None = None, reason: str | None = None) -> VerifyReport:
            return VerifyReport(ok, count, time.perf_counter() - started, first, last, seq, reason)

        with self._store.read() as conn:
            head = conn.execute(select(audit_head).where(audit_head.c.id == 1)).first()
            expected_seq, prev, problem = _anchor(self._key, conn)
            if problem:
                return report(False, None, problem)
            result = conn.execution_options(stream_results=True, yield_per=10_000).execute(_ROWS)
            sha256, loads = hashlib.sha256, orjson.loads
            for rows in result.partitions():
                for seq, ts, kind, tenant, key_id, body, prev_hash, digest in rows:
                    if first is None:
                        first = seq
                    if seq != expected_seq:
                        what = "missing" if seq > expected_seq else "duplicated or out of order"
                        return report(False, seq, f"expected seq {expected_seq}: records {what}")
                    if prev_hash != prev:
                        return report(False, seq, "prev_hash does not match the previous record")
                    data = body.encode("utf-8")
                    if sha256(prev.encode("ascii") + data).hexdigest() != digest:
                        return report(False, seq, "content was modified (hash mismatch)")
                    parsed = loads(data)
                    if (
                        parsed["seq"] != seq
                        or parsed["ts"] != ts
                        or parsed["kind"] != kind
                        or parsed["tenant"] != tenant
                        or parsed["key_id"] != key_id
                    ):
                        return report(False, seq, "indexed columns differ from the hashed record")
                    prev, last, count = digest, seq, count + 1
                    expected_seq += 1
        if head is None:
            return report(
                False,
                None,
                "the signed chain head is missing (row 1 of audit_head was deleted): the records "
                "read link correctly, but nothing vouches that none were cut from the end; "
                "restore the database from a backup",
            )
        if head.seq == 0 and count == 0:
            return report(True)
        if last is None:
            return report(False, None, f"no record is left but the head says {head.seq}")
        if last != head.seq or prev != head.hash:
            return report(False, last, f"the chain ends at {last} but the head says {head.seq}")
        if not check(self._key, head_message(head.seq, head.hash), head.signature):
            return report(False, head.seq, "the chain head's signature is invalid")
        return report(True)
