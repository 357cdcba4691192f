"""Throughput of knowledge-base extraction and chunking on documents generated here.

Per format: N generated documents (Arabic-heavy PDFs shaped by HarfBuzz so the right-to-left
rebuild path runs, a French PDF on PDFium's own text path, DOCX, HTML, Markdown, text), each
extracted then chunked (default 180/30 tokens) R times; prints the median docs/s, chunks/s and
MB/s of input as a Markdown table. Needs the test generators (fpdf2, uharfbuzz, python-docx,
arabic-reshaper not used here). Run: PYTHONPATH=src:. python bench/bench_extract.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agadir.knowledge.chunking import chunk_document
from agadir.knowledge.extract import extract

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.knowledge import fixtures_docs as gen

ARABIC = gen.ARABIC_PARAGRAPH
FRENCH = (
    "Le présent règlement fixe les conditions d'accès aux services numériques de la commune. "
    "Toute demande est traitée dans un délai de quinze jours ouvrables à compter du dépôt. "
)


def _pdf_ar(path: Path) -> Path:
    return gen.wrapped_pdf(path, [ARABIC * 4] * 5)


def _pdf_fr(path: Path) -> Path:
    return gen.wrapped_pdf(path, [FRENCH * 8] * 5)


def _docx(path: Path) -> Path:
    return gen.docx_file(path)


def _html(path: Path) -> Path:
    return gen.article_html(path)


def _md(path: Path) -> Path:
    path.write_text(("# Titre\n\n" + FRENCH * 5 + "\n\n## عنوان\n\n" + ARABIC * 3 + "\n") * 5)
    return path


def _txt(path: Path) -> Path:
    path.write_text((ARABIC + "\n" + FRENCH + "\n\n") * 40)
    return path


MAKERS: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "pdf (Arabic, 5 pages)": (".pdf", _pdf_ar),
    "pdf (French, 5 pages)": (".pdf", _pdf_fr),
    "docx": (".docx", _docx),
    "html": (".html", _html),
    "markdown": (".md", _md),
    "text": (".txt", _txt),
}


def main(docs: int = 20, repeats: int = 5) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (suffix, make) in MAKERS.items():
            paths = [make(Path(tmp) / f"{name[:4]}-{i}{suffix}") for i in range(docs)]
            size = sum(p.stat().st_size for p in paths)
            ext_times, chunk_times, n_chunks = [], [], 0
            for _ in range(repeats):
                t0 = time.perf_counter()
                extracted = [extract(p) for p in paths]
                t1 = time.perf_counter()
                n_chunks = sum(len(chunk_document(d)) for d in extracted)
                t2 = time.perf_counter()
                ext_times.append(t1 - t0)
                chunk_times.append(t2 - t1)
            ext, chk = statistics.median(ext_times), statistics.median(chunk_times)
            chars = sum(len(d.text) for d in extracted)
            rows.append(
                f"| {name} | {docs} | {size / docs / 1024:.1f} | {docs / ext:.1f} | "
                f"{size / ext / 1e6:.2f} | {n_chunks / docs:.1f} | {n_chunks / chk:,.0f} | "
                f"{chars / chk / 1e6:.1f} | {docs / (ext + chk):.1f} |"
            )
    print(
        "| format | docs | KiB/doc | extract docs/s | extract MB/s (file) | chunks/doc | "
        "chunk chunks/s | chunk M chars/s | end-to-end docs/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
