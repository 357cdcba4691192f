"""Open the store a URL names: `sqlite:///…` (default, embedded) or `postgresql+psycopg://…`."""

from __future__ import annotations

from agadir.store.base import Store
from agadir.store.errors import StoreError


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Build the matching store and (by default) bring its schema up to date.

    Why migrate here: every entry point (serve, CLI, tests) gets a usable schema from one call,
    and an older database is upgraded in place instead of failing on a missing column.
    """
    store: Store
    if url.startswith("sqlite"):
        from agadir.store.sqlite import SqliteStore

        store = SqliteStore(url)
    elif url.startswith(("postgresql", "postgres:")):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise StoreError(
                "database_url names PostgreSQL but psycopg is missing; "
                "install it with: pip install 'agadir[postgres]'"
            ) from exc
        from agadir.store.postgres import PostgresStore

        store = PostgresStore(url)
    else:
        raise StoreError(
            f"unsupported database_url {url.split('://')[0]!r}: use sqlite:///PATH "
            "or postgresql+psycopg://USER@HOST/DB"
        )
    if migrate:
        store.migrate()
    return store
