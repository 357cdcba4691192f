"""Text for `tokenizer extend`: corpus-builder folders or plain text / JSONL files.

A folder is read as `agadir corpus build` output (``data/{lang}/*.jsonl[.gz]``, the ``text``
field), keeping only the target languages' shards. A ``.txt`` file gives one text per line; a
``.jsonl[.gz]`` file its ``text`` fields. Unusable JSONL lines are skipped (the learner only
counts words), and counted so the CLI can say how many.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from agadir.tune.data import corpus_files
from agadir.tune.errors import TuneDataError
from agadir.tune.recipe import CorpusData


@dataclass
class CorpusStats:
    files: int = 0
    texts: int = 0
    skipped: int = 0


def _open(path: Path) -> Iterator[str]:
    if path.suffix == ".gz":
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as fh:
            yield from fh
    else:
        with path.open(encoding="utf-8") as fh:
            yield from fh


def _files(paths: Sequence[Path], targets: Sequence[str]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = corpus_files(CorpusData(kind="corpus", path=path, languages=list(targets)))
            if not found:
                raise TuneDataError(
                    f"{path}: no corpus shards for {', '.join(targets)} "
                    "(expected data/<lang>/*.jsonl[.gz] from `agadir corpus build`)"
                )
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            raise TuneDataError(f"corpus path {path} does not exist")
    return out


def read_texts(
    paths: Sequence[Path], targets: Sequence[str], stats: CorpusStats | None = None
) -> Iterator[str]:
    """Every text of ``paths`` (see the module docstring for what each kind of path gives)."""
    stats = stats if stats is not None else CorpusStats()
    for path in _files(paths, targets):
        stats.files += 1
        jsonl = ".jsonl" in path.suffixes
        try:
            for line in _open(path):
                if not jsonl:
                    if line.strip():
                        stats.texts += 1
                        yield line.rstrip("\n")
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    stats.skipped += 1
                    continue
                text = row.get("text") if isinstance(row, dict) else None
                if isinstance(text, str) and text.strip():
                    stats.texts += 1
                    yield text
                else:
                    stats.skipped += 1
        except UnicodeDecodeError as exc:
            raise TuneDataError(f"{path} is not UTF-8 text: {exc.reason}") from exc
