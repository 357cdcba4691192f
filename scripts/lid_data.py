"""Training and evaluation rows for `train_lid.py`, each with its source (provenance).

Three kinds of rows, all deterministic:

* the shared LID split (``lid/{train,dev}.tsv``), source ids from ``*.sources.txt``;
* ``doda-translit``: the DODa Arabizi sentences (MIT, ``parallel/doda_ary_Latn-eng_Latn``)
  written in Arabic script by our own transliterator (`agadir.lang.arabizi_to_arabic`), as
  extra ``ary_Arab`` text in the conversational register that NLLB-Seed lacks. DODa's own
  train/dev split is kept, so dev sentences never reach training;
* crops: word windows cut from longer lines (``<= 3`` and ``4-8`` words) so that every label has
  short lines. Without them, "short" is learnt as a property of the Tatoeba labels.

`held_out` picks the fifth of train that calibration and ``--holdout`` choices are made on.
"""

from __future__ import annotations

import csv
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

DODA_TRANSLIT = "doda-translit"
#: Tokens as the transliterator split them when the shipped LID model was trained (ASCII only).
_TOKEN_V1 = re.compile(r"[A-Za-z0-9'\-]*[A-Za-z][A-Za-z0-9'\-]*|[0-9]+|\S")


def _has_latin(token: str) -> bool:
    return any("a" <= c.lower() <= "z" for c in token)


#: Length buckets in words: (name, smallest, largest).
BUCKETS: tuple[tuple[str, int, int], ...] = (("<=3", 1, 3), ("4-8", 4, 8), (">8", 9, 10**9))


@dataclass(frozen=True)
class Rows:
    """Parallel lists: label, text, source id; ``crop`` marks generated windows."""

    labels: list[str]
    texts: list[str]
    sources: list[str]
    crop: list[bool]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, keep: list[bool]) -> Rows:
        """Rows where ``keep`` is true."""
        idx = [i for i, k in enumerate(keep) if k]
        return Rows(
            [self.labels[i] for i in idx],
            [self.texts[i] for i in idx],
            [self.sources[i] for i in idx],
            [self.crop[i] for i in idx],
        )

    def __add__(self, other: Rows) -> Rows:
        return Rows(
            self.labels + other.labels,
            self.texts + other.texts,
            self.sources + other.sources,
            self.crop + other.crop,
        )


def default_data() -> Path:
    """The shared data folder: ``shared/data`` next to the checkout or one of its parents."""
    root = Path(__file__).resolve().parents[1]
    for parent in root.parents:
        if (parent / "shared" / "data" / "lid").is_dir():
            return parent / "shared" / "data"
    return root.parent / "shared" / "data"


def read_tsv(path: Path) -> tuple[list[str], list[str]]:
    """``label<TAB>text`` lines, read without quote handling (texts contain ``"``)."""
    labels: list[str] = []
    texts: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2:
                labels.append(row[0])
                texts.append(row[1])
    return labels, texts


def shared_split(data: Path, split: str) -> Rows:
    """``lid/<split>.tsv`` with the source id of every line."""
    labels, texts = read_tsv(data / "lid" / f"{split}.tsv")
    sources = (data / "lid" / f"{split}.sources.txt").read_text(encoding="utf-8").split()
    if len(sources) != len(labels):
        raise SystemExit(f"{split}.sources.txt has {len(sources)} ids for {len(labels)} lines")
    return Rows(labels, texts, sources, [False] * len(labels))


def doda_translit(data: Path, split: str, lexicon: bool = False) -> Rows:
    """DODa Arabizi sentences of ``split`` transliterated to Arabic script, as ``ary_Arab``.

    Word types are transliterated once (most sentences share words), best reading per word.
    By default with the character model alone (rules + LM, no lexicon, no tanwin rule): that
    is what the shipped LID model was trained on, so the rebuild is exact; ``lexicon=True``
    uses the full transliterator (what the benchmark evaluates on).
    """
    from agadir.lang.arabizi import _rule_candidates, arabizi_to_arabic, load_lm

    def char_model(word: str) -> str:
        out = []
        for tok in _TOKEN_V1.findall(word):
            found = _rule_candidates(tok, load_lm(), tanwin=False) if _has_latin(tok) else []
            out.append(found[0][0] if found else tok)
        return " ".join(out)

    def full(word: str) -> str:
        return arabizi_to_arabic(word)[0][0]

    reading = full if lexicon else char_model

    path = data / "parallel" / f"doda_ary_Latn-eng_Latn.{split}.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    seen: set[str] = set()
    texts: list[str] = []
    cache: dict[str, str] = {}
    for row in rows:
        latin = " ".join(row["ary_Latn"].split())
        if not latin or latin.lower() in seen:
            continue
        seen.add(latin.lower())
        words = []
        for word in latin.split():
            if word not in cache:
                cache[word] = reading(word)
            words.append(cache[word])
        texts.append(" ".join(words))
    n = len(texts)
    return Rows(["ary_Arab"] * n, texts, [DODA_TRANSLIT] * n, [False] * n)


def bucket_of(text: str) -> str:
    """Length bucket name of a line (by whitespace-separated words)."""
    n = len(text.split())
    for name, lo, hi in BUCKETS:
        if lo <= n <= hi:
            return name
    return BUCKETS[0][0]


def crops(rows: Rows, seed: str) -> Rows:
    """One ``<= 3``-word window from every line of 4+ words, one 4-8-word window from 9+.

    Windows start at a random word (``random.Random(seed)``), so crops are deterministic.
    """
    rng = random.Random(seed)
    out = Rows([], [], [], [])
    for lab, text, src in zip(rows.labels, rows.texts, rows.sources, strict=True):
        words = text.split()
        spans = []
        if len(words) >= 4:
            spans.append(rng.randint(1, 3))
        if len(words) >= 9:
            spans.append(rng.randint(4, 8))
        for size in spans:
            start = rng.randint(0, len(words) - size)
            out.labels.append(lab)
            out.texts.append(" ".join(words[start : start + size]))
            out.sources.append(src)
            out.crop.append(True)
    return out


def held_out(rows: Rows, parallel: Path, share: float) -> list[bool]:
    """Which train rows to validate on: whole Wikipedia articles for NLLB-Seed lines.

    dev/test were split by article, so a random slice of train would let a model score by
    remembering article-specific names; grouping by the article URL (from the multiway file)
    keeps that leak out. Other lines are grouped by their own text. Deterministic (CRC32).
    """
    article: dict[str, str] = {}
    path = parallel / "nllb_seed_multiway.train.tsv"
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                for col in ("ary_Arab", "zgh_Tfng", "taq_Tfng", "taq_Latn"):
                    if row.get(col):
                        article[row[col].strip()] = row["url"]
    buckets = round(1 / share)
    keys = [article.get(t.strip(), t) for t in rows.texts]
    return [zlib.crc32(k.encode()) % buckets == 0 for k in keys]
