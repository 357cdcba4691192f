"""Uploads over HTTP: names cleaned, one bad file never costs the others, a decompression bomb
refused with its reason, and the upload route's own body limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.state import GatewayState
from agadir.knowledge.uploads import NAME_MAX_BYTES, safe_name
from tests.knowledge.fixtures_docs import bomb_docx
from tests.knowledge.test_kb_api import Api


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("rapport.md", "rapport.md"),
        ("C:\\Users\\x\\notes.txt", "notes.txt"),
        ("../../etc/passwd", "passwd"),
        ("\x1b[31mrouge\x07.md", "[31mrouge.md"),
        ("facture\u202egpj.md", "facturegpj.md"),
        ("\u2066isolé\u2069.md", "isolé.md"),
        ("مي\u200cخواهم.md", "مي\u200cخواهم.md"),  # a zero-width non-joiner spells the word
        ("e\u0301te\u0301.md", "été.md"),  # NFC
        ("..", None),
        ("\x1b\x07", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_name(raw: str | None, expected: str | None) -> None:
    assert safe_name(raw) == expected


@pytest.mark.parametrize("stem", ["a" * 300, "ب" * 200, "x" * 250 + "é" * 5])
def test_long_names_are_cut_to_255_bytes_keeping_the_extension(stem: str) -> None:
    name = safe_name(stem + ".md")
    assert name is not None and name.endswith(".md") and name.startswith(stem[:10])
    assert len(name.encode("utf-8")) <= NAME_MAX_BYTES


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    settings.max_request_bytes = 4096
    settings.knowledge.max_upload_bytes = 64 * 1024
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        state: GatewayState = app.state.agadir
        state.governance.tenants.create("coop", pii_mode="off")
        service = await knowledge(state)
        service.bases.create("agri", owner="coop", purpose="advice", legal_basis="public")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield Api(client, state)


async def test_bad_names_are_cleaned_and_never_cost_the_good_files(api: Api) -> None:
    admin = api.key("coop", "admin,kb:agri")
    long_name = "تقرير-" * 60 + ".md"  # 660 bytes: ENAMETOOLONG on disk before
    files = [
        ("files", (long_name, b"# Long\n\nLe rapport au nom trop long.\n")),
        ("files", ("\x1b[2Jfacture\u202egpj.md", b"# Facture\n\nMontant: 120 DH.\n")),
        ("files", ("ok.md", b"# Ok\n\nLe cumin de Taliouine.\n")),
    ]
    r = await api.client.post("/v1/knowledge/agri/documents", files=files, headers=admin)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["added"] == 3, report
    names = [f["name"] for f in report["files"]]
    assert "[2Jfacturegpj.md" in names and "ok.md" in names
    long_stored = next(n for n in names if n.startswith("تقرير"))
    assert long_stored.endswith(".md") and len(long_stored.encode()) <= 255
    docs = (await api.client.get("/v1/knowledge/agri/documents", headers=admin)).json()["data"]
    for d in docs:
        assert all(ch.isprintable() for ch in d["name"]), d["name"]


async def test_a_zip_bomb_docx_is_refused_with_its_reason(api: Api, tmp_path: Path) -> None:
    admin = api.key("coop", "admin,kb:agri")
    bomb = bomb_docx(tmp_path / "bomb.docx", 12 * 1024 * 1024).read_bytes()  # ~50 KB file
    files = [("files", ("bomb.docx", bomb)), ("files", ("ok.md", b"# Ok\n\nLe safran.\n"))]
    r = await api.client.post("/v1/knowledge/agri/documents", files=files, headers=admin)
    assert r.status_code == 200, r.text
    outcome = {f["name"]: f for f in r.json()["files"]}
    assert outcome["ok.md"]["status"] == "added"
    assert outcome["bomb.docx"]["status"] == "skipped"
    reason = outcome["bomb.docx"]["reason"]
    assert "decompression bomb" in reason and "knowledge.max_expansion" in reason


async def test_uploads_have_their_own_body_limit(api: Api) -> None:
    admin = api.key("coop", "admin,kb:agri")
    text = b"# Grand\n\n" + b"Les oliviers de la vallee du Draa. " * 200  # 7 KB > 4 KiB
    files = [("files", ("grand.md", text))]
    r = await api.client.post("/v1/knowledge/agri/documents", files=files, headers=admin)
    assert r.status_code == 200 and r.json()["added"] == 1, r.text

    chat = {"model": "echo", "messages": [{"role": "user", "content": "x" * 8000}]}
    big_chat = await api.client.post("/v1/chat/completions", json=chat, headers=admin)
    assert big_chat.status_code == 413 and "max_request_bytes" in big_chat.text

    files = [("files", ("huge.md", text * 10))]  # 70 KB > knowledge.max_upload_bytes
    huge = await api.client.post("/v1/knowledge/agri/documents", files=files, headers=admin)
    assert huge.status_code == 413
    error = huge.json()["error"]
    assert error["code"] == "request_too_large" and "knowledge.max_upload_bytes" in error["message"]
