"""Persistence for governance: one `Store` protocol, SQLite (embedded) and PostgreSQL backends.

Does not hold knowledge-base data yet; those tables arrive as later migration steps.
"""

from agadir.store.base import Store, StoreKind
from agadir.store.errors import SchemaTooNewError, StoreError
from agadir.store.factory import open_store
from agadir.store.migrations import LATEST as LATEST_SCHEMA_VERSION

__all__ = [
    "LATEST_SCHEMA_VERSION",
    "SchemaTooNewError",
    "Store",
    "StoreError",
    "StoreKind",
    "open_store",
]
