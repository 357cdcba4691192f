"""Rebuild `src/agadir/lang/translit_lm.npz`, the Arabic-script Darija character LM.

Text: the ``ary_Arab`` lines of ../shared/data/lid/train.tsv (NLLB-Seed Darija) and the
FineWeb-2 Darija precision word list (../shared/data/fineweb2/wordlists/ary_Arab.txt). Arabic
diacritics, tatweel and bidi marks are removed; letters (hamza forms, ة, ڭ) are kept because
the transliterator must produce them. Deterministic: counting only.

    python scripts/build_translit_lm.py [--data ../shared/data] [--order 5]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agadir.lang.charlm import CharLM  # noqa: E402

_MARKS = re.compile("[\u064b-\u065f\u0670\u0640\u200e\u200f\u061c]")
_NON_ARABIC = re.compile(r"[^\u0621-\u064a\u0671-\u06d3 ]+")


def clean(text: str) -> str:
    """Keep Arabic letters and spaces only; punctuation and digits are not transliterated."""
    return " ".join(_NON_ARABIC.sub(" ", _MARKS.sub("", text)).split())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "src" / "agadir" / "lang" / "translit_lm.npz"
    )
    args = ap.parse_args()
    texts: list[str] = []
    with (args.data / "lid" / "train.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2 and row[0] == "ary_Arab":
                texts.append(clean(row[1]))
    words = (args.data / "fineweb2" / "wordlists" / "ary_Arab.txt").read_text(encoding="utf-8")
    texts.extend(clean(w) for w in words.splitlines())
    lm = CharLM.train([t for t in texts if t], order=args.order, min_count=args.min_count)
    lm.save(str(args.out))
    print(f"wrote {args.out}: {len(lm.counts)} n-grams, {args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
