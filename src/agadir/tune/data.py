"""Turn recipe data into training examples: chat conversations, translation prompts, raw text.

Every line that cannot be used is counted and kept with its file, line number and reason
(`DataReport.bad`), never silently dropped. Examples are plain dicts in the shapes TRL's
SFTTrainer reads: ``{"messages": [...]}`` for supervised tuning, ``{"text": ...}`` for
continued pretraining. Not handled here: tokenisation and packing (the trainer does both).
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from agadir.tune.errors import TuneDataError
from agadir.tune.recipe import ChatData, CorpusData, DataSpec, ParallelData

ROLES = ("system", "user", "assistant")
LANGUAGE_NAMES = {
    "ary_Arab": "Moroccan Arabic (Darija, Arabic script)",
    "ary_Latn": "Moroccan Arabic (Darija, Latin script / Arabizi)",
    "arb_Arab": "Modern Standard Arabic",
    "zgh_Tfng": "Standard Moroccan Amazigh (Tifinagh)",
    "ber_Latn": "Amazigh (Latin script)",
    "eng_Latn": "English",
    "fra_Latn": "French",
}
DEFAULT_TEMPLATE = "Translate this {source_name} text into {target_name}.\n\n{text}"


@dataclass
class BadLine:
    file: Path
    line: int
    reason: str


@dataclass
class DataReport:
    """What each file gave and what it could not give."""

    used: dict[str, int] = field(default_factory=dict)
    bad: list[BadLine] = field(default_factory=list)

    def note_bad(self, file: Path, line: int, reason: str) -> None:
        self.bad.append(BadLine(file, line, reason))


@dataclass
class Split:
    train: list[dict[str, Any]]
    eval: list[dict[str, Any]]
    report: DataReport


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="strict")
    return path.open(encoding="utf-8", errors="strict")


def _check_messages(row: object) -> str | None:
    """Why ``row`` is not a usable conversation, or None when it is."""
    if not isinstance(row, dict) or not isinstance(row.get("messages"), list):
        return 'no "messages" list'
    messages = row["messages"]
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            return f"message {i}: role must be one of {', '.join(ROLES)}"
        if not isinstance(m.get("content"), str) or not m["content"].strip():
            return f"message {i}: content must be non-empty text"
    if not any(m["role"] == "assistant" for m in messages):
        return "no assistant message to learn from"
    return None


def _read_chat(spec: ChatData, report: DataReport) -> Iterator[dict[str, Any]]:
    with _open_text(spec.path) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                report.note_bad(spec.path, number, f"not JSON ({exc.msg})")
                continue
            problem = _check_messages(row)
            if problem:
                report.note_bad(spec.path, number, problem)
                continue
            yield {
                "messages": [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
            }


def translation_prompt(templates: dict[str, str], source: str, target: str, text: str) -> str:
    """The user turn asking to translate ``text``; a template per ``"src-tgt"`` pair wins."""
    template = templates.get(f"{source}-{target}", templates.get("default", DEFAULT_TEMPLATE))
    return template.format(
        source=source,
        target=target,
        source_name=LANGUAGE_NAMES.get(source, source),
        target_name=LANGUAGE_NAMES.get(target, target),
        text=text,
    )


def _read_parallel(
    spec: ParallelData, templates: dict[str, str], report: DataReport
) -> Iterator[dict[str, Any]]:
    with _open_text(spec.path) as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None:
            return
        for column in (spec.source, spec.target):
            if column not in header:
                raise TuneDataError(
                    f"{spec.path}: no column {column!r}; the header has: {', '.join(header)}"
                )
        si, ti = header.index(spec.source), header.index(spec.target)
        pairs = [(spec.source, spec.target, si, ti)]
        if spec.both_directions:
            pairs.append((spec.target, spec.source, ti, si))
        for number, row in enumerate(reader, start=2):
            if len(row) != len(header):
                report.note_bad(spec.path, number, f"{len(row)} fields, header has {len(header)}")
                continue
            if not row[si].strip() or not row[ti].strip():
                report.note_bad(spec.path, number, "empty source or target")
                continue
            for src, tgt, a, b in pairs:
                prompt = translation_prompt(templates, src, tgt, row[a].strip())
                yield {
                    "messages": [
                        {"role": "user", "content": prompt},
                        {"role": "assistant", "content": row[b].strip()},
                    ]
                }


def corpus_files(spec: CorpusData) -> list[Path]:
    """The corpus shards of the wanted languages, in a stable order."""
    root = spec.path / "data" if (spec.path / "data").is_dir() else spec.path
    files = sorted([*root.glob("*/*.jsonl"), *root.glob("*/*.jsonl.gz")])
    if spec.languages:
        files = [f for f in files if f.parent.name in spec.languages]
    return files


def _read_corpus(spec: CorpusData, report: DataReport) -> Iterator[dict[str, Any]]:
    files = corpus_files(spec)
    if not files:
        raise TuneDataError(
            f"{spec.path}: no corpus shards (expected data/<lang>/*.jsonl[.gz] from "
            "`agadir corpus build`)"
        )
    for path in files:
        with _open_text(path) as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    report.note_bad(path, number, f"not JSON ({exc.msg})")
                    continue
                text = row.get("text") if isinstance(row, dict) else None
                if not isinstance(text, str) or not text.strip():
                    report.note_bad(path, number, 'no "text"')
                    continue
                yield {"text": text}


def _read(spec: DataSpec, templates: dict[str, str], report: DataReport) -> list[dict[str, Any]]:
    if not spec.path.exists():
        raise TuneDataError(f"data file {spec.path} does not exist; fix `path` in the recipe")
    rows: Iterator[dict[str, Any]]
    if isinstance(spec, ChatData):
        rows = _read_chat(spec, report)
    elif isinstance(spec, ParallelData):
        rows = _read_parallel(spec, templates, report)
    else:
        rows = _read_corpus(spec, report)
    examples = []
    try:
        for row in rows:
            examples.append(row)
            if spec.max_examples is not None and len(examples) >= spec.max_examples:
                break
    except UnicodeDecodeError as exc:
        raise TuneDataError(f"{spec.path} is not UTF-8 text: {exc.reason}") from exc
    report.used[str(spec.path)] = len(examples)
    return examples


def load_split(
    specs: list[DataSpec], templates: dict[str, str], eval_fraction: float, seed: int
) -> Split:
    """All examples, shuffled with ``seed``, with a held-out eval split of at least one example."""
    report = DataReport()
    examples = [ex for spec in specs for ex in _read(spec, templates, report)]
    if len(examples) < 2:
        where = ", ".join(str(s.path) for s in specs)
        raise TuneDataError(
            f"{len(examples)} usable example(s) in {where} ({len(report.bad)} bad lines); "
            "at least 2 are needed (one is held out for evaluation)"
        )
    random.Random(seed).shuffle(examples)
    n_eval = max(1, round(len(examples) * eval_fraction))
    return Split(train=examples[n_eval:], eval=examples[:n_eval], report=report)
