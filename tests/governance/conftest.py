"""Every test here runs against both stores: embedded SQLite and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agadir.store import Store, open_store
from agadir.store.testing import store_url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    value = store_url(request.param, tmp_path)
    if value is None:
        pytest.skip("PostgreSQL unavailable: pip install 'agadir[postgres]' (pgserver)")
    return value


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = open_store(url)
    yield opened
    opened.close()
