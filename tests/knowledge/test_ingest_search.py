"""Ingest into a real store, then search: provenance, no-op re-ingest, replacement, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from agadir.knowledge.bases import KnowledgeBaseExistsError
from agadir.knowledge.service import KnowledgeService
from tests.knowledge.conftest import write

OLIVES = (
    "# Récolte des olives\n\nDans la région de Meknès, la récolte des olives commence en octobre "
    "et se poursuit jusqu'en janvier. Les olives destinées à l'huile sont cueillies à maturité. "
    "Un bon pressage se fait dans les 48 heures après la cueillette.\n"
)
ARGAN = (
    "# شجرة الأركان\n\nتنمو شجرة الأركان في جنوب غرب المغرب، وخاصة في سهل سوس. "
    "أعلنت اليونسكو محمية المحيط الحيوي للأركان سنة 1998. تعمل تعاونيات نسائية كثيرة "
    "في استخراج زيت الأركان.\n"
)
WATER = (
    "# Drip irrigation\n\nDrip irrigation brings water to the root of each plant through "
    "pipes and emitters. It saves a large share of the water lost by flooding furrows.\n"
)


@pytest.fixture
async def agri(service: KnowledgeService, tmp_path: Path) -> Path:
    service.bases.create("agri", owner="coop", purpose="advice", legal_basis="public info")
    folder = tmp_path / "docs"
    write(folder, "olives.md", OLIVES)
    write(folder, "argan.md", ARGAN)
    write(folder, "sub/water.txt", WATER)
    report = await service.ingestor.ingest_paths("agri", [folder], owner="coop", licence="CC BY")
    assert report.count("added") == 3, report.to_dict()
    return folder


async def test_every_document_keeps_its_provenance(service: KnowledgeService, agri: Path) -> None:
    docs = {d.name: d for d in service.documents("agri")}
    assert set(docs) == {"olives.md", "argan.md", "water.txt"}
    water = docs["water.txt"]
    assert water.source == str((agri / "sub" / "water.txt").resolve())
    assert water.licence == "CC BY" and water.owner == "coop" and water.chunks >= 1
    assert len(water.sha256) == 64 and water.added_at > 0


async def test_search_finds_the_right_document_across_languages(
    service: KnowledgeService, agri: Path
) -> None:
    cases = {
        "When are olives harvested near Meknes?": "olives.md",
        "متى أعلنت اليونسكو محمية الأركان؟": "argan.md",
        "Comment l'irrigation goutte à goutte économise l'eau ?": "water.txt",
        "فين كتنبت شجرة الأركان؟": "argan.md",
    }
    for query, gold in cases.items():
        hits = await service.search(["agri"], query, k=1)
        assert hits and hits[0].passage.document == gold, (query, hits)


async def test_every_passage_quotes_the_stored_text(service: KnowledgeService, agri: Path) -> None:
    for hit in await service.search(["agri"], "huile argan olives", k=5):
        p = hit.passage
        body = service.docs.body(p.document_id)
        assert body is not None and body[p.start : p.end] == p.text and p.text.strip()


async def test_bm25_and_dense_modes_differ_and_hybrid_fuses(
    service: KnowledgeService, agri: Path
) -> None:
    query = "1998"
    bm25 = await service.search(["agri"], query, k=3, mode="bm25")
    assert [h.passage.document for h in bm25] == ["argan.md"]  # only one doc has the term
    dense = await service.search(["agri"], query, k=3, mode="dense")
    assert len(dense) == 3 and all("bm25:0" not in h.ranks for h in dense)
    hybrid = await service.search(["agri"], query, k=3)
    assert hybrid[0].passage.document == "argan.md" and "bm25:0" in hybrid[0].ranks


async def test_unchanged_file_is_a_no_op_and_a_changed_one_replaces(
    service: KnowledgeService, agri: Path
) -> None:
    before = {d.name: d for d in service.documents("agri")}
    again = await service.ingestor.ingest_paths("agri", [agri], owner="coop")
    assert again.count("unchanged") == 3 and again.count("added") == 0
    write(agri, "olives.md", OLIVES.replace("octobre", "novembre"))
    changed = await service.ingestor.ingest_paths("agri", [agri / "olives.md"], owner="coop")
    assert [f.status for f in changed.files] == ["replaced"]
    after = {d.name: d for d in service.documents("agri")}
    assert after["olives.md"].id == before["olives.md"].id
    assert after["olives.md"].sha256 != before["olives.md"].sha256
    hits = await service.search(["agri"], "olives novembre", k=5, mode="bm25")
    texts = " ".join(h.passage.text for h in hits)
    assert "novembre" in texts and "octobre" not in texts


async def test_bad_files_are_skipped_with_a_reason_and_the_batch_goes_on(
    service: KnowledgeService, agri: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    write(bad, "empty.txt", "")
    write(bad, "junk.txt", bytes(range(256)) * 40)
    write(bad, "huge.txt", "word " * 60_000)  # over the fixture's 200 kB limit
    write(bad, "broken.pdf", b"%PDF-1.7\n1 0 obj <<>> garbage")
    write(bad, "notes.xyz", "some text")
    write(bad, "good.md", "# Dates\n\nLes dattes de Tafilalet mûrissent en automne.\n")
    report = await service.ingestor.ingest_paths("agri", [bad], owner="coop")
    outcome = {f.name: f for f in report.files}
    assert outcome["good.md"].status == "added"
    for name in ("empty.txt", "junk.txt", "huge.txt", "broken.pdf", "notes.xyz"):
        assert outcome[name].status == "skipped", name
        assert outcome[name].reason, name
    assert "junk.txt" in (outcome["junk.txt"].reason or "") or "binary" in (
        outcome["junk.txt"].reason or ""
    )
    assert report.count("skipped") == 5


async def test_base_names_are_unique_and_checked(service: KnowledgeService, agri: Path) -> None:
    with pytest.raises(KnowledgeBaseExistsError):
        service.bases.create("agri", owner="coop", purpose="x", legal_basis="y")
    with pytest.raises(Exception, match="invalid knowledge base name"):
        service.bases.create("Bad Name!", owner="coop", purpose="x", legal_basis="y")


async def test_search_never_crosses_into_other_bases(
    service: KnowledgeService, agri: Path, tmp_path: Path
) -> None:
    service.bases.create("hotels", owner="hotel", purpose="guests", legal_basis="contract")
    write(tmp_path / "h", "riad.md", "# Riad\n\nLe riad Zitoun accueille 12 clients à Fès.\n")
    await service.ingestor.ingest_paths("hotels", [tmp_path / "h"], owner="hotel")
    query = "riad Zitoun Fès clients"
    assert (await service.search(["hotels"], query, k=1, mode="bm25"))[0].passage.kb == "hotels"
    for mode in ("hybrid", "bm25", "dense"):
        hits = await service.search(["agri"], query, k=10, mode=mode)
        assert all(h.passage.kb == "agri" for h in hits), mode
        assert mode == "bm25" or hits  # dense always ranks something; BM25 shares no term
    assert [b.name for b in service.bases.all("coop")] == ["agri"]


async def test_retention_purges_only_expired_documents(
    service: KnowledgeService, tmp_path: Path
) -> None:
    service.bases.create("short", owner="coop", purpose="p", legal_basis="l", retention_days=30)
    write(tmp_path / "s", "a.md", OLIVES)
    await service.ingestor.ingest_paths("short", [tmp_path / "s"], owner="coop")
    import time

    assert await service.purge_expired(now=time.time() + 29 * 86400) == []
    purged = await service.purge_expired(now=time.time() + 31 * 86400)
    assert [(kb, n > 0) for kb, _, n in purged] == [("short", True)]
    assert service.documents("short") == []


async def test_pgvector_search_agrees_with_the_in_memory_search(
    service: KnowledgeService, agri: Path
) -> None:
    """`knowledge.vector_search = "pgvector"` on PostgreSQL ranks like the in-memory search;
    on SQLite (no pgvector) the setting falls back to memory."""
    from agadir.knowledge.service import KnowledgeService as Service

    in_db = Service(service.store, service.retriever.embed, vector_search="pgvector")
    store = service.store
    if store.kind == "postgresql":
        with store.read() as conn:
            available = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
            ).scalar()
        assert in_db.dense.in_database == bool(available)
    else:
        assert not in_db.dense.in_database
    assert not service.dense.in_database  # the default is in memory
    for query in ("Comment économiser l'eau d'irrigation ?", "فين كتنبت شجرة الأركان؟"):
        memory = await service.search(["agri"], query, k=3, mode="dense")
        database = await in_db.search(["agri"], query, k=3, mode="dense")
        assert [h.passage.chunk_id for h in memory] == [h.passage.chunk_id for h in database]
