"""Text for `tokenizer extend`: corpus-builder folders or plain text / JSONL files.

A folder is read as `agadir corpus build` output (``data/{lang}/*.jsonl[.gz]``, the ``text``
field), each target from its own shards. A ``.txt`` file gives one text per line, a
``.jsonl[.gz]`` file its ``text`` fields; a file belongs to the target named in its file name
(``zgh_Tfng.txt``), or to the only target when there is one. Unusable JSONL lines are skipped
(the learner only counts words), and counted so the CLI can say how many.
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


def files_by_target(paths: Sequence[Path], targets: Sequence[str]) -> dict[str, list[Path]]:
    """Which files feed which target; every target must get at least one."""
    out: dict[str, list[Path]] = {t: [] for t in targets}
    for path in paths:
        if path.is_dir():
            for target in targets:
                spec = CorpusData(kind="corpus", path=path, languages=[target])
                out[target].extend(corpus_files(spec))
        elif path.is_file():
            named = [t for t in targets if t in path.name]
            if len(named) != 1 and len(targets) > 1:
                raise TuneDataError(
                    f"{path}: cannot tell which target it is for; name the file after one "
                    f"language ({', '.join(t + '.txt' for t in targets)}) or pass one --target"
                )
            out[named[0] if named else targets[0]].append(path)
        else:
            raise TuneDataError(f"corpus path {path} does not exist")
    for target, files in out.items():
        if not files:
            raise TuneDataError(
                f"no text for target {target}: pass a corpus folder with data/{target}/*.jsonl "
                f"(from `agadir corpus build`) or a file named like {target}.txt"
            )
    return out


def read_texts(paths: Sequence[Path], stats: CorpusStats | None = None) -> Iterator[str]:
    """Every text of the files ``paths`` (see the module docstring)."""
    stats = stats if stats is not None else CorpusStats()
    for path in paths:
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
