"""Read-side queries over the audit table for the admin API: a filtered tail and usage totals.

Both run as SQL on either store. Token counts and status live only inside the hashed JSON body
(the indexed columns are seq, ts, kind, tenant, key_id), so usage reads them with the database's
JSON functions: `json_extract` on SQLite, `jsonb` operators on PostgreSQL (SQLAlchemy's JSON type
compiles the same expression to each). Time filters use the indexed `ts` column, so a day's usage
reads only that day's rows. Nothing here writes: verification lives in `agadir.audit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, ColumnElement, case, cast, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from agadir.store import Store
from agadir.store.schema import audit_log


@dataclass(frozen=True)
class UsageRow:
    tenant: str | None
    requests: int
    errors: int
    prompt_tokens: int
    completion_tokens: int


def _body(store: Store) -> ColumnElement[Any]:
    """The body column as JSON: PostgreSQL stores TEXT, so it needs a real cast to jsonb."""
    if store.kind == "postgresql":
        return cast(audit_log.c.body, JSONB)
    return type_coerce(audit_log.c.body, JSON)


def tail(
    store: Store,
    *,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    tenant: str | None = None,
    kind: str | None = None,
    before: int | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to `limit` records newest first, and the seq to pass as `before` for the next page
    (None when there is nothing older). Each record is its hashed body plus `hash`."""
    query = select(audit_log.c.seq, audit_log.c.body, audit_log.c.hash).order_by(
        audit_log.c.seq.desc()
    )
    if since is not None:
        query = query.where(audit_log.c.ts >= since.timestamp())
    if until is not None:
        query = query.where(audit_log.c.ts < until.timestamp())
    if tenant is not None:
        query = query.where(audit_log.c.tenant == tenant)
    if kind is not None:
        query = query.where(audit_log.c.kind == kind)
    if before is not None:
        query = query.where(audit_log.c.seq < before)
    with store.read() as conn:
        rows = conn.execute(query.limit(limit + 1)).all()
    records = [{**orjson.loads(r.body), "hash": r.hash} for r in rows[:limit]]
    more = len(rows) > limit
    return records, (int(rows[limit - 1].seq) if more and limit > 0 else None)


def usage(
    store: Store, *, since: datetime, until: datetime | None = None, tenant: str | None = None
) -> list[UsageRow]:
    """Per tenant (None: unauthenticated callers): requests, errors (status >= 400) and tokens,
    counting only `request` records (admin calls and events are not usage). `tenant`: only
    that tenant's row (its index keeps this cheap); None: every tenant."""
    body = _body(store)
    prompt = body[("tokens", "prompt")].as_integer()
    completion = body[("tokens", "completion")].as_integer()
    failed = case((body["status"].as_integer() >= 400, 1), else_=0)
    query = (
        select(
            audit_log.c.tenant,
            func.count().label("requests"),
            func.coalesce(func.sum(failed), 0).label("errors"),
            func.coalesce(func.sum(prompt), 0).label("prompt_tokens"),
            func.coalesce(func.sum(completion), 0).label("completion_tokens"),
        )
        .where(audit_log.c.kind == "request", audit_log.c.ts >= since.timestamp())
        .group_by(audit_log.c.tenant)
    )
    if until is not None:
        query = query.where(audit_log.c.ts < until.timestamp())
    if tenant is not None:
        query = query.where(audit_log.c.tenant == tenant)
    with store.read() as conn:
        rows = conn.execute(query).all()
    out = [
        UsageRow(
            tenant=r.tenant,
            requests=int(r.requests),
            errors=int(r.errors),
            prompt_tokens=int(r.prompt_tokens),
            completion_tokens=int(r.completion_tokens),
        )
        for r in rows
    ]
    return sorted(out, key=lambda u: (u.tenant is None, u.tenant or ""))
