"""Look inside a built corpus: samples per language and removed documents with their reason."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any


def _jsonl(folder: Path) -> Iterator[dict[str, Any]]:
    for f in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


def _parquet(folder: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    for f in sorted(folder.rglob("*.parquet")):
        yield from pq.read_table(f).to_pylist()


def samples(root: Path, per_language: int = 3) -> dict[str, list[dict[str, Any]]]:
    """The first ``per_language`` documents of each language folder under ``root/data``."""
    out: dict[str, list[dict[str, Any]]] = {}
    data = root / "data"
    for lang_dir in sorted(p for p in data.iterdir() if p.is_dir()) if data.is_dir() else []:
        docs = _jsonl(lang_dir) if any(lang_dir.glob("*.jsonl.gz")) else _parquet(lang_dir)
        out[lang_dir.name] = list(islice(docs, per_language))
    return out


def removed_samples(root: Path, per_step: int = 3) -> dict[str, list[dict[str, Any]]]:
    """A few removed documents per removing step (``removed/<step>``) with their reason."""
    out: dict[str, list[dict[str, Any]]] = {}
    base = root / "removed"
    for step_dir in (
        sorted(p for p in base.rglob("*") if p.is_dir() and any(p.glob("*.jsonl.gz")))
        if base.is_dir()
        else []
    ):
        docs = islice(_jsonl(step_dir), per_step)
        out[str(step_dir.relative_to(base))] = list(docs)
    return out
