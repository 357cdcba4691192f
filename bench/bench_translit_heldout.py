"""Decide the transliterator's word prior on held-out TRAIN text, never on the dev pairs.

The shared data has no Arabizi/Arabic training pairs (the DODa Arabic-script column exists only
for the dev/test object names), so this builds them: every 10th Arabic-script line of the LID
train split (Darija, Algerian, Egyptian, MSA) is held out, its words are romanised with
`arabic_to_arabizi` (DODa's letters: 3 ع, 9 ق, ch ش, ة and ا both ``a``) and read back by the
character model plus a word prior whose counts come from the other 90 %. Exact match per word
token, overall and for words romanised with a final ``a`` (ة, ا or ى: the ending the prior
decides). Letters the romanisation merges (ث/ت, ذ/د, hamza seats, ى/ا) are compared merged.
What it cannot test: short vowels (the romanisation writes none), the hamza of أ/إ (written as
a vowel) and loanword letters (پ ڤ: the text writes none).

A second table compares this code with the same functions as committed on ``--baseline``
(default ``main``, imported side by side as `bench_translit` does), on the same words with the
same prior counts: exact as above, the final ة/ا/ى words, the words with a hamza written ء ؤ ئ
(romanised ``2``; its seat compared, alef seats merged) and the letters as written (no merging).

    python bench/bench_translit_heldout.py [--data ../shared/data] [--every 10] [--baseline main]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_translit import baseline_module  # noqa: E402
from build_translit_lexicon import ARABIC_LABELS, arabic_vocab, lid_lines  # noqa: E402
from lid_data import default_data  # noqa: E402

from agadir.lang.arabizi import _rule_candidates, load_lm, rescore  # noqa: E402
from agadir.lang.arabizi_reverse import arabic_to_arabizi  # noqa: E402
from agadir.lang.translit_lexicon import Lexicon  # noqa: E402

_MERGED = str.maketrans({"ث": "ت", "ذ": "د", "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ا",
                         "ؤ": "ء", "ئ": "ء"})  # fmt: skip
_ALEF_SEATS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})
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


def code_scores(
    readings: dict[str, list[tuple[str, float]]],
    rescore_fn: Callable[[list[tuple[str, float]], Any], list[tuple[str, float]]],
    prior: Any,
    words: Counter[str],
) -> tuple[float, float, float, float]:
    """(exact, exact on final ة/ا/ى words, hamza seat exact, letters as written) per token."""
    hits: list[bool] = []
    ending: list[bool] = []
    hamza: list[bool] = []
    raw: list[bool] = []
    for w, n in words.items():
        scored = rescore_fn(readings[w], prior)
        best = scored[0][0] if scored else ""
        hits += [best.translate(_MERGED) == w.translate(_MERGED)] * n
        raw += [best == w] * n
        if w[-1] in "ةاى":
            ending += [hits[-1]] * n
        if set(w) & set("ءؤئ"):
            hamza += [best.translate(_ALEF_SEATS) == w.translate(_ALEF_SEATS)] * n
    return tuple(statistics.mean(x) for x in (hits, ending, hamza, raw))  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--every", type=int, default=10, help="hold out every n-th line")
    ap.add_argument("--baseline", default="main", help="git ref of the code to compare with")
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

    vocab = arabic_vocab(args.data, {}, labels=ARABIC_LABELS, held_out=held)
    codes: list[tuple[str, dict[str, list[tuple[str, float]]], Any, Any]] = [
        ("this branch", readings, rescore, Lexicon({}, dict(vocab), frozenset()))
    ]
    base = baseline_module(args.baseline)
    if base is not None:
        base_lm = base.load_lm()
        base_readings = {w: base._rule_candidates(arabic_to_arabizi(w), base_lm) for w in words}
        codes.append(
            (args.baseline, base_readings, base.rescore, base.Lexicon({}, dict(vocab), frozenset()))
        )
    n_hamza = sum(n for w, n in words.items() if set(w) & set("ءؤئ"))
    print(f"\nSame prior counts (this branch's), {n_hamza} tokens with ء ؤ ئ\n")
    print("| code | exact | exact, final ة/ا/ى | hamza ء ؤ ئ, seat exact | letters as written |")
    print("|---|---:|---:|---:|---:|")
    for name, code_readings, rescore_fn, prior in codes:
        cells = " | ".join(f"{x:.3f}" for x in code_scores(code_readings, rescore_fn, prior, words))
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
