"""WARC inputs: the main text of each HTML page, with its URL; menus, non-HTML and empty pages
are left out and reported."""

from __future__ import annotations

import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from agadir.corpus.reader import SafeReader

ARTICLE = (
    "Le calendrier cultural de l'arganier dans le Souss commence par la récolte des fruits en "
    "juillet. Les coopératives féminines sèchent ensuite les fruits au soleil pendant plusieurs "
    "semaines avant le concassage. L'huile alimentaire est obtenue après torréfaction des "
    "amandons, tandis que l'huile cosmétique est pressée à froid. Chaque lot est tracé depuis "
    "la parcelle jusqu'au flacon pour respecter l'indication géographique protégée."
)


def page(body: str) -> bytes:
    menu = "<nav><ul><li>Accueil</li><li>Contact</li><li>Connexion</li></ul></nav>"
    return (
        f"<html><head><title>Argan</title></head><body>{menu}<article><h1>Argan</h1>"
        f"<p>{body}</p></article><footer>© Coopérative 2026 — Mentions légales</footer>"
        "</body></html>"
    ).encode()


def write_warc(path: Path) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        records = [
            ("https://coop.example.ma/argan", "text/html; charset=utf-8", page(ARTICLE)),
            ("https://coop.example.ma/logo.png", "image/png", b"\x89PNG fake"),
            ("https://coop.example.ma/empty", "text/html", b"<html><body></body></html>"),
        ]
        for url, ctype, payload in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), http_headers=headers
            )
            writer.write_record(record)


def test_warc_pages_become_documents(tmp_path: Path) -> None:
    src = tmp_path / "crawl"
    src.mkdir()
    write_warc(src / "coop.warc.gz")
    issues = tmp_path / "issues"
    reader = SafeReader(str(src), "warc", issues_dir=str(issues))
    docs = list(reader.run(None, 0, 1))
    assert len(docs) == 1
    doc = docs[0]
    assert "torréfaction des amandons" in doc.text
    assert "Connexion" not in doc.text and "Mentions légales" not in doc.text
    assert doc.metadata["url"] == "https://coop.example.ma/argan"
    found = [json.loads(x) for f in issues.glob("*.jsonl") for x in f.read_text().splitlines()]
    assert [(i["kind"], i["detail"]) for i in found] == [
        ("no_main_text", "https://coop.example.ma/empty")
    ]
