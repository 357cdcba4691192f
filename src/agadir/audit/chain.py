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
from sqlalchemy import Connection

from agadir.audit.record import AuditRecord
from agadir.audit.salvage import minimal_body, salvaged_body
from agadir.audit.signing import content_key, sign

GENESIS = "0" * 64


def canonical(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def link(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def head_message(seq: int, hash_: str) -> str:
    return f"head:{seq}:{hash_}"


def _marks(conn: Connection, n: int) -> str:
    """Positional placeholders in the driver's style (sqlite3: ?, psycopg: %s)."""
    return ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * n)


def lock_head(conn: Connection) -> tuple[int, str]:
    sql = "SELECT seq, hash FROM audit_head WHERE id = 1"
    if conn.dialect.name == "postgresql":
        sql += " FOR UPDATE"  # SQLite's BEGIN IMMEDIATE already holds the write lock
    row = conn.exec_driver_sql(sql).one()
    return int(row[0]), str(row[1])


Columns = tuple[Any, Any, Any, Any]  # ts, kind, tenant, key_id: as in the body, for indexes


def encode_record(record: AuditRecord, seq: int, content: bytes) -> tuple[bytes, Columns]:
    """The record's canonical body and its indexed columns. Never raises: a record that
    cannot be encoded as it is goes in repaired and marked (`audit.salvage`), so it cannot
    fail its batch."""
    try:
        body = record.body(seq, content)
        return canonical(body), (body["ts"], record.kind, record.tenant, record.key_id)
    except Exception as exc:
        try:
            body = salvaged_body(record, seq, content, exc)
            data = canonical(body)
        except Exception:
            body = minimal_body(record, seq, exc)
            data = canonical(body)
    return data, (body.get("ts"), body.get("kind"), body.get("tenant"), body.get("key_id"))


def chain_rows(
    key: bytes, records: Sequence[AuditRecord], seq: int, prev: str
) -> tuple[list[tuple[Any, ...]], int, str, str]:
    """Link `records` after the head (`seq`, `prev`): the audit_log rows (columns of
    `INSERT_COLUMNS`), the new head seq and hash, and the head's signature."""
    rows = []
    hashing = content_key(key)
    for record in records:
        seq += 1
        data, (ts, kind, tenant, key_id) = encode_record(record, seq, hashing)
        digest = link(prev, data)
        rows.append((seq, ts, kind, tenant, key_id, data.decode("utf-8"), prev, digest))
        prev = digest
    return rows, seq, prev, sign(key, head_message(seq, prev))


INSERT_COLUMNS = "seq, ts, kind, tenant, key_id, body, prev_hash, hash"


def append_locked(conn: Connection, key: bytes, records: Sequence[AuditRecord]) -> list[int]:
    """Chain `records` after the head inside the caller's write transaction; return their seqs.

    Plain driver-level SQL rather than SQLAlchemy expressions: this runs once per batch on the
    audit path, and building statements cost more CPU than the inserts themselves.
    """
    seq, prev = lock_head(conn)
    first = seq + 1
    rows, seq, prev, signature = chain_rows(key, records, seq, prev)
    if rows:
        conn.exec_driver_sql(
            f"INSERT INTO audit_log ({INSERT_COLUMNS}) VALUES ({_marks(conn, 8)})", rows
        )
        conn.exec_driver_sql(
            f"UPDATE audit_head SET seq = {_marks(conn, 1)}, hash = {_marks(conn, 1)}, "
            f"signature = {_marks(conn, 1)} WHERE id = 1",
            (seq, prev, signature),
        )
    return list(range(first, seq + 1))
