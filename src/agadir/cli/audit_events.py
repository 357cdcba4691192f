"""Changes made from the shell go into the same hash chain as the server's requests.

Why: a tenant disabled, a key issued or a model registered with the CLI is as much an
administrative act as the same change through the admin API; leaving it out of the audit log
would let anyone with shell access act unseen. Each change is one `cli:<area>.<what>` event.
"""

from __future__ import annotations

from typing import Any

from agadir.config import Settings
from agadir.store import Store, open_store


def record_cli_event(
    settings: Settings, what: str, *, store: Store | None = None, **extra: Any
) -> None:
    """Append `cli:<what>` (e.g. `cli:keys.create`) to the audit chain, synchronously: the
    command reports success only once its record is written. Never pass secrets in `extra`."""
    from agadir.audit import AuditRecord, load_or_create_key
    from agadir.audit.writer import AuditWriter

    own = store is None
    target = store if store is not None else open_store(settings.resolved_database_url)
    writer = AuditWriter(target, load_or_create_key(settings.ensure_home())).start()
    try:
        writer.append_sync(AuditRecord(endpoint=f"cli:{what}", status=0, kind="event", extra=extra))
    finally:
        writer.close()
        if own:
            target.close()
