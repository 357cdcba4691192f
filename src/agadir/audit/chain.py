"""The hash chain: canonical JSON, linking, and appending under the head lock.

`hash = sha256(prev_hash ‖ canonical JSON)` where canonical JSON is UTF-8, keys sorted, no
spaces (orjson). The body text is stored verbatim, so verification re-hashes exactly the bytes
that were hashed at write time. The head row (`audit_head`, id 1) holds the last seq and hash,
signed; writers lock it (`FOR UPDATE` in PostgreSQL, `BEGIN IMMEDIATE` in SQLite), so appends
from several processes interleave into one chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from agadir.audit.record import AuditRecord
from agadir.audit.signing import sign
from agadir.store.schema import audit_head, audit_log

GENESIS = "0" * 64


def canonical(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def link(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def head_message(seq: int, hash_: str) -> str:
    return f"head:{seq}:{hash_}"


def lock_head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).one()
    return int(row.seq), str(row.hash)


def append_locked(conn: Connection, key: bytes, records: Sequence[AuditRecord]) -> list[int]:
    """Chain `records` after the head inside the caller's write transaction; return their seqs."""
    seq, prev = lock_head(conn)
    rows = []
    for record in records:
        seq += 1
        data = canonical(record.body(seq))
        digest = link(prev, data)
        rows.append(
            {
                "seq": seq,
                "ts": round(record.ts, 6),
                "kind": record.kind,
                "tenant": record.tenant,
                "key_id": record.key_id,
                "body": data.decode("utf-8"),
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    if rows:
        conn.execute(audit_log.insert(), rows)
        conn.execute(
            update(audit_head)
            .where(audit_head.c.id == 1)
            .values(seq=seq, hash=prev, signature=sign(key, head_message(seq, prev)))
        )
    return [int(str(r["seq"])) for r in rows]
