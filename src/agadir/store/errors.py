"""Errors of the persistence layer: the store is missing, too new, or refuses writes."""

from __future__ import annotations

from agadir.errors import AgadirError


class StoreError(AgadirError):
    """The governance store cannot be used; the gateway must refuse requests (503)."""

    status_code = 503
    error_type = "store_unavailable"


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer Agadir; running older code on it would corrupt it."""

    code = "schema_too_new"
