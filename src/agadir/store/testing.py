"""Test helpers: a throwaway PostgreSQL for the suite, and fresh isolated stores.

`AGADIR_TEST_POSTGRES_URL` points the suite at an existing server (CI with Debian's
postgresql); otherwise the `pgserver` package starts a bundled PostgreSQL 16 from a temporary
directory once per process. Each test then gets its own schema, so tests stay isolated without
paying for CREATE DATABASE.
"""

from __future__ import annotations

import atexit
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, text

_server: Any = None
_base_url: str | None = None


def postgres_base_url() -> str | None:
    """A psycopg URL of a running server, starting one if needed; None when none is available."""
    global _server, _base_url
    if _base_url is not None:
        return _base_url
    explicit = os.environ.get("AGADIR_TEST_POSTGRES_URL")
    if explicit:
        _base_url = explicit
        return _base_url
    try:
        import pgserver
        import psycopg  # noqa: F401
    except ImportError:
        return None
    datadir = tempfile.mkdtemp(prefix="agadir-pg-")
    _server = pgserver.get_server(datadir, cleanup_mode="stop")
    atexit.register(_server.cleanup)
    socket_dir = str(_server.get_uri()).split("host=", 1)[1]
    _base_url = f"postgresql+psycopg://postgres@/postgres?host={quote(socket_dir)}"
    return _base_url


def fresh_postgres_url() -> str | None:
    """A URL whose connections live in a new, empty schema (via search_path)."""
    base = postgres_base_url()
    if base is None:
        return None
    name = "t_" + secrets.token_hex(6)
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={name}')}"


def store_url(kind: str, directory: Path) -> str | None:
    """A fresh store URL of `kind` ("sqlite" or "postgresql"); None when PostgreSQL is absent."""
    if kind == "sqlite":
        return f"sqlite:///{directory / 'agadir.db'}"
    return fresh_postgres_url()
