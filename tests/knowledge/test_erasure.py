"""Erasure leaves nothing behind: a unique marker is retrievable, then gone from search and
from every byte of the database files (main file, WAL and shared memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agadir.governance.tenants import TenantService
from agadir.knowledge.service import KnowledgeService
from agadir.store import Store, open_store
from tests.knowledge.conftest import write

MARKER = "Qzvmarker7731"
ARABIC_MARKER = "زمرقلطاش"


@pytest.fixture
def kb_store(tmp_path: Path) -> Iterator[Store]:
    """The embedded store only: this test reads the database files byte by byte."""
    store = open_store(f"sqlite:///{tmp_path / 'kb.db'}")
    TenantService(store).create("coop", pii_mode="off")
    yield store
    store.close()


def database_bytes(service: KnowledgeService) -> bytes:
    db = Path(service.store.engine.url.database or "")
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file())


def traces(blob: bytes) -> list[str]:
    found = []
    for needle in (MARKER, MARKER.lower(), ARABIC_MARKER):
        if needle.encode() in blob or needle.encode("utf-16-le") in blob:
            found.append(needle)
    return found


async def test_erased_document_is_found_nowhere(service: KnowledgeService, tmp_path: Path) -> None:
    service.bases.create("agri", owner="coop", purpose="advice", legal_basis="public")
    folder = tmp_path / "docs"
    write(folder, "keep.md", "# Blé\n\nLe blé dur est semé en novembre dans le Saïss.\n")
    secret = write(
        folder,
        "secret.md",
        f"# Note interne\n\nLa parcelle {MARKER} reçoit un traitement spécial. "
        f"القطعة {ARABIC_MARKER} تحتاج إلى سقي إضافي.\n",
    )
    await service.ingestor.ingest_paths("agri", [folder], owner="coop")
    # a cached grounded answer that used the document
    doc = next(d for d in service.documents("agri") if d.name == "secret.md")
    from agadir.store.schema import kb_answer_sources, kb_answers

    with service.store.write() as conn:
        conn.execute(
            kb_answers.insert().values(
                key="k1", kb="agri", answer=f"about {MARKER}", created_at=0.0
            )
        )
        conn.execute(kb_answer_sources.insert().values(answer_key="k1", document_id=doc.id))

    hits = await service.search(["agri"], MARKER, k=3, mode="bm25")
    assert hits and MARKER in hits[0].passage.text
    assert await service.search(["agri"], ARABIC_MARKER, k=3, mode="bm25")
    assert traces(database_bytes(service)), "the marker should be stored before erasure"

    removed = await service.remove_document("agri", doc.id)
    assert removed >= 1

    assert await service.search(["agri"], MARKER, k=5, mode="bm25") == []
    assert await service.search(["agri"], ARABIC_MARKER, k=5, mode="bm25") == []
    dense = await service.search(["agri"], f"parcelle {MARKER}", k=5)
    assert all(h.passage.document == "keep.md" for h in dense)
    assert [d.name for d in service.documents("agri")] == ["keep.md"]
    with service.store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM kb_answers").scalar() == 0
    assert traces(database_bytes(service)) == []
    assert secret.exists()  # erasure is of our copy, never of the user's file
