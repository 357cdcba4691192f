"""Small generated inputs for the corpus tests, built from the shared LID dev split."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

# beside the repository; AGADIR_SHARED_DATA points elsewhere (a git worktree, another checkout)
SHARED = Path(
    os.environ.get("AGADIR_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
LID_DEV = SHARED / "lid" / "dev.tsv"
FINEWEB2 = SHARED / "fineweb2"
LANGS = ("ary_Arab", "ary_Latn", "fra_Latn", "arb_Arab", "zgh_Tfng")


def sentences() -> dict[str, list[str]]:
    by: dict[str, list[str]] = {}
    for line in LID_DEV.read_text(encoding="utf-8").splitlines():
        label, text = line.split("\t", 1)
        by.setdefault(label, []).append(text)
    return by


def make_doc(rng: random.Random, pool: list[str], n: int = 14) -> str:
    """Paragraphs of a few sentences each: the shape of web text, not one sentence per line."""
    picked = rng.sample(pool, n)
    return "\n".join(" ".join(picked[i : i + 4]) for i in range(0, n, 4))


@pytest.fixture(scope="session")
def shared_data() -> None:
    if not LID_DEV.is_file() or not FINEWEB2.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing at {SHARED}: CI must run the corpus suite")
        pytest.skip("shared data (lid/dev.tsv, fineweb2/) not available")


@pytest.fixture()
def small_inputs(tmp_path: Path, shared_data: None) -> Path:
    """4 JSONL files (30 docs each), 2 exact and 2 near duplicates, 1 bad line, 1 empty doc."""
    rng = random.Random(7)
    pool = sentences()
    folder = tmp_path / "in"
    folder.mkdir()
    docs: list[dict[str, Any]] = []
    for i in range(120):
        lang = LANGS[i % len(LANGS)]
        docs.append({"text": make_doc(rng, pool[lang]), "truth": lang, "doc": i})
    docs[40] = {**docs[3], "doc": 40}  # exact duplicate
    docs[41] = {**docs[8], "doc": 41}
    docs[42] = {**docs[5], "text": docs[5]["text"] + " Merci.", "doc": 42}  # near duplicate
    docs[43] = {**docs[6], "text": docs[6]["text"].replace(".", "!", 1), "doc": 43}
    docs[10]["text"] += " Appelez le 0612345678 ou ecrivez a karim.alaoui@example.ma."
    for f in range(4):
        with (folder / f"part{f}.jsonl").open("w", encoding="utf-8") as out:
            for d in docs[f * 30 : (f + 1) * 30]:
                out.write(json.dumps(d, ensure_ascii=False) + "\n")
    with (folder / "part1.jsonl").open("a", encoding="utf-8") as out:
        out.write("{not json\n")
        out.write(json.dumps({"text": "   "}) + "\n")
    return folder


def write_recipe(path: Path, inputs: Path, out: Path, extra: str = "") -> Path:
    path.write_text(
        f"""
name: test
inputs:
  - {{name: dev, path: {inputs}, format: jsonl, licence: CC-BY-SA-4.0, consent: true}}
languages: [{", ".join(LANGS)}]
quality: {{min_doc_words: 20}}
output: {{path: {out}}}
tasks: 4
{extra}
""",
        encoding="utf-8",
    )
    return path
