"""Export audit records as JSON Lines: exactly the hashed bodies, in chain order.

Each line is the stored canonical JSON, so an exported line can be re-hashed by anyone holding
the previous line's hash (`prev_hash` and `hash` are added as fields for that purpose).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

from agadir.store import Store
from agadir.store.schema import audit_log


def export_jsonl(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    tenant: str | None = None,
) -> Iterator[str]:
    """Yield one JSON line (no newline) per record in [since, until), optionally one tenant's."""
    query = select(audit_log.c.body, audit_log.c.prev_hash, audit_log.c.hash).order_by(
        audit_log.c.seq
    )
    if since is not None:
        query = query.where(audit_log.c.ts >= since.timestamp())
    if until is not None:
        query = query.where(audit_log.c.ts < until.timestamp())
    if tenant is not None:
        query = query.where(audit_log.c.tenant == tenant)
    with store.read() as conn:
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
        for body, prev_hash, digest in result:
            yield f'{body[:-1]},"prev_hash":"{prev_hash}","hash":"{digest}"}}'
