"""Decide the transliterator's word prior on held-out TRAIN text, never on the dev pairs.

The shared data has no Arabizi/Arabic training pairs (the DODa Arabic-script column exists only
for the dev/test object names), so this builds them: every 10th Arabic-script line of the LID
train split (Darija, Algerian, Egyptian, MSA) is held out, its words are romanised with
`arabic_to_arabizi` (DODa's letters: 3 ع, 9 ق, ch ش, ة and ا both ``a``) and read back by the
character model plus a word prior whose counts come from the other 90 %. Exact match per word
token, overall and for words romanised with a final ``a`` (ة, ا or ى: the ending the prior
decides). Letters the romanisation merges (ث/ت, ذ/د, hamza seats, ى/ا) are compared merged.
What it cannot test: short vowels (the romanisation writes none) and loanword letters (پ ڤ:
the text writes none).

    python bench/bench_translit_heldout.py [--data ../shared/data] [--every 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from build_translit_lexicon import ARABIC_LABELS, arabic_vocab, lid_lines  # noqa: E402
from lid_data import default_data  # noqa: E402

from agadir.lang.arabizi import _rule_candidates, load_lm, rescore  # noqa: E402
from agadir.lang.arabizi_reverse import arabic_to_arabizi  # noqa: E402
from agadir.lang.translit_lexicon import Lexicon  # noqa: E402

_MERGED = str.maketrans({"ث": "ت", "ذ": "د", "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ا",
                         "ؤ": "ء", "ئ": "ء"})  # fmt: skip
#: (name, LID labels counted, bare forms of article nouns counted).
VARIANTS = (
    ("Darija lines only (main)", ("ary_Arab",), False),
    ("+ bare forms", ("ary_Arab",), True),
    ("+ Tatoeba arq/arz, MSA (this branch)", ARABIC_LABELS, False),
    ("+ both", ARABIC_LABELS, True),
)


def held_out_words(data: Path, every: int) -> tuple[frozenset[int], Counter[str]]:
    """Held-out line numbers of `lid_lines` and their word-token counts (3+ letters)."""
    lines = lid_lines(data, ARABIC_LABELS)
    held = frozenset(range(0, len(lines), every))
    words: Counter[str] = Counter()
    for i in held:
        words.update(w for w in lines[i].split() if len(w) >= 3)
    return held, words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--every", type=int, default=10, help="hold out every n-th line")
    args = ap.parse_args()
    held, words = held_out_words(args.data, args.every)
    lm = load_lm()
    from rich.progress import track

    readings = {
        w: _rule_candidates(arabic_to_arabizi(w), lm)
        for w in track(sorted(words), description="held-out words")
    }
    print(
        f"Round trip Arabic -> Arabizi -> Arabic, {sum(words.values())} word tokens "
        f"({len(words)} types) of {len(held)} held-out LID train lines\n"
    )
    print("| word prior counts | exact | exact, final ة/ا/ى |")
    print("|---|---:|---:|")
    for name, labels, bare in VARIANTS:
        vocab = arabic_vocab(args.data, {}, labels=labels, bare_forms=bare, held_out=held)
        prior = Lexicon({}, dict(vocab), frozenset())
        hits: list[bool] = []
        ending: list[bool] = []
        for w, n in words.items():
            scored = rescore(readings[w], prior)
            ok = bool(scored) and scored[0][0].translate(_MERGED) == w.translate(_MERGED)
            hits += [ok] * n
            if w[-1] in "ةاى":
                ending += [ok] * n
        print(f"| {name} | {statistics.mean(hits):.3f} | {statistics.mean(ending):.3f} |")


if __name__ == "__main__":
    main()
