"""The audit HMAC key: signs the chain head and retention checkpoints.

Why a key outside the database: someone who can edit the database can recompute plain hashes,
so truncating the tail or forging a checkpoint would go unnoticed; with the key kept in
``$AGADIR_HOME/audit.key`` (0600), they also need the server's files. PostgreSQL replicas must
share the same key file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from agadir.audit.errors import AuditKeyError

KEY_FILE = "audit.key"


def load_or_create_key(home: Path) -> bytes:
    """Read the key, creating it (32 random bytes, hex, mode 0600) on first use."""
    path = home / KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; read theirs
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
    return load_key(home)


def load_key(home: Path) -> bytes:
    path = home / KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as exc:
        raise AuditKeyError(
            f"cannot read the audit key {path}: restore it from backup (replicas share one key)"
        ) from exc


def content_key(key: bytes) -> bytes:
    """The key that hashes request/response content in records (`record.content_digest`):
    derived from the audit key so that a content digest is never a head signature."""
    return hmac.new(key, b"agadir audit content", hashlib.sha256).digest()


def sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def check(key: bytes, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, message), signature)
