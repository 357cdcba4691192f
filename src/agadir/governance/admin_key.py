"""The first-serve admin key: created when the store has no usable admin key.

The key goes to ``$AGADIR_HOME/admin.key`` (mode 0600, created atomically) and only its *path*
is returned, so callers can print where it is without the key ever reaching a log.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from agadir.config import Settings
from agadir.governance.errors import TenantNotFoundError
from agadir.governance.keys import KeyService
from agadir.governance.scopes import ALL_SCOPES
from agadir.governance.tenants import OPERATOR_TENANT, TenantService
from agadir.store import Store, open_store

ADMIN_TENANT = OPERATOR_TENANT
ADMIN_KEY_FILE = "admin.key"


def _has_usable_admin_key(keys: KeyService, now: float) -> bool:
    return any("admin" in k.scopes and k.status(now) == "active" for k in keys.list(ADMIN_TENANT))


def write_secret_file(path: Path, content: str) -> None:
    """Write `content` to a new 0600 file, replacing any old one without a readable window."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(content + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def ensure_admin_key(settings: Settings, store: Store | None = None) -> Path | None:
    """Make sure an admin key exists; return the key file's path, or None.

    - No active admin key in the store: create tenant `admin` if needed, create a key with every
      scope, write it to the file (replacing a stale one), return the path.
    - An active admin key exists: return the path if the file is still there, else None (the
      operator moved it away; we do not mint a second key behind their back).
    """
    home = settings.ensure_home()
    path = home / ADMIN_KEY_FILE
    own_store = store is None
    store = store or open_store(settings.resolved_database_url)
    try:
        tenants, keys = TenantService(store), KeyService(store)
        try:
            tenants.get(ADMIN_TENANT)
        except TenantNotFoundError:
            tenants.create(ADMIN_TENANT, audit_content="hash", pii_mode="off")
        if _has_usable_admin_key(keys, time.time()):
            return path if path.exists() else None
        created = keys.create(ADMIN_TENANT, list(ALL_SCOPES), label="first-serve admin key")
        write_secret_file(path, created.plaintext)
        return path
    finally:
        if own_store:
            store.close()
