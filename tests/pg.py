"""PostgreSQL for the suite: a fresh store URL, skipped locally when absent, required in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agadir.store.testing import store_url


def url_or_skip(kind: str, directory: Path) -> str:
    """A fresh URL for `kind`; a missing PostgreSQL fails under CI instead of skipping quietly."""
    value = store_url(kind, directory)
    if value is None:
        message = "PostgreSQL unavailable: pip install 'agadir[postgres]' (pgserver)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the PostgreSQL half of the suite")
        pytest.skip(message)
    return value
