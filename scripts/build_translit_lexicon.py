"""Rebuild `src/agadir/lang/translit_lexicon.npz`, the Arabizi -> Arabic word lexicon and prior.

* ``vocab`` (Arabic-script word counts): words of the ``ary_Arab`` (NLLB-Seed), ``arq_Arab``,
  ``arz_Arab`` (Tatoeba, conversational) and ``arb_Arab`` (UD, XQuAD) lines of
  ../shared/data/lid/train.tsv, the FineWeb-2 Darija and MSA word lists (count 1 each; MSA
  because feminine nouns end in ة in both) and the seed's Arabic spellings (count 1 each),
  with diacritics and tatweel removed; a word with the article also counts for its bare form.
* ``entries`` (Latin form -> Arabic, count): every word type of the DODa Arabizi training
  sentences (../shared/data/parallel/doda_ary_Latn-eng_Latn.train.tsv, MIT) whose best
  reading -- character model (`agadir.lang.arabizi`) plus the vocab prior -- is a known Darija
  spelling; the count is the word's frequency in those sentences. Then the hand-written seed
  (scripts/lexicon/translit_seed.tsv) is laid over them.
* ``keep_latin``: scripts/lexicon/keep_latin.txt.

No evaluation pair is read. Deterministic (counting and a fixed beam search).

    python scripts/build_translit_lexicon.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from build_translit_lm import clean  # noqa: E402
from lid_data import default_data  # noqa: E402

from agadir.lang.arabizi import _TOKEN, _rule_candidates, load_lm, rescore  # noqa: E402
from agadir.lang.translit_lexicon import Lexicon  # noqa: E402

OUT = ROOT / "src" / "agadir" / "lang" / "translit_lexicon.npz"
#: LID train labels whose words count: Darija (NLLB-Seed) and the short conversational Tatoeba
#: lines of Algerian and Egyptian Arabic, with MSA (UD, XQuAD): feminine nouns end in ة in all
#: of them, and the Darija source alone lacks everyday nouns (قهوة, طبلة).
ARABIC_LABELS = ("ary_Arab", "arq_Arab", "arz_Arab", "arb_Arab")
HERE = Path(__file__).resolve().parent / "lexicon"


def read_seed(path: Path) -> dict[str, str]:
    """``latin<TAB>arabic`` lines; ``#`` starts a comment line."""
    seed: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            latin, arabic = line.split("\t")
            seed[latin.strip()] = clean(arabic)
    return seed


def lid_lines(data: Path, labels: tuple[str, ...]) -> list[str]:
    """Cleaned Arabic-script lines of ``labels`` in the shared LID train split, in file order."""
    with (data / "lid" / "train.tsv").open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [clean(row[1]) for row in rows if len(row) >= 2 and row[0] in labels]


def arabic_vocab(
    data: Path,
    seed: dict[str, str],
    labels: tuple[str, ...] = ARABIC_LABELS,
    bare_forms: bool = False,
    held_out: frozenset[int] = frozenset(),
) -> Counter[str]:
    """Arabic-script word counts (see module notes); ``held_out`` line numbers of
    `lid_lines` are left out (`bench/bench_translit_heldout.py` scores them)."""
    vocab: Counter[str] = Counter()
    for i, line in enumerate(lid_lines(data, labels)):
        if i not in held_out:
            vocab.update(line.split())
    words = (data / "fineweb2" / "wordlists" / "ary_Arab.txt").read_text(encoding="utf-8")
    vocab.update(w for line in words.splitlines() for w in clean(line).split())
    vocab.update(w for arabic in seed.values() for w in arabic.split())
    msa = (data / "fineweb2" / "wordlists" / "arb_Arab.txt").read_text(encoding="utf-8")
    vocab.update(w for line in msa.splitlines() for w in clean(line).split())
    if bare_forms:
        # A noun seen with the article is evidence for its bare spelling (القهوة -> قهوة).
        bare: Counter[str] = Counter()
        for word, count in vocab.items():
            if word.startswith("ال") and len(word) > 4:
                bare[word[2:]] += count
        vocab.update(bare)
    return vocab


def doda_words(data: Path) -> Counter[str]:
    """Latin word counts of the DODa Arabizi training sentences.

    A word counts if it has a letter: words that start with a digit letter (``3la``, ``7na``,
    ``9bel``) are words, and were left out when only a leading letter counted.
    """
    counts: Counter[str] = Counter()
    path = data / "parallel" / "doda_ary_Latn-eng_Latn.train.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            tokens = _TOKEN.findall(row["ary_Latn"])
            counts.update(t for t in tokens if any(c.isalpha() for c in t))
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--min-count", type=int, default=5, help="learn entries for DODa words this frequent"
    )
    args = ap.parse_args()
    seed = read_seed(HERE / "translit_seed.tsv")
    vocab = arabic_vocab(args.data, seed)
    prior = Lexicon({}, dict(vocab), frozenset())
    latin = doda_words(args.data)
    lm = load_lm()
    entries: dict[str, tuple[str, int]] = {}
    from rich.progress import track

    for word, count in track(sorted(latin.items()), description="DODa words"):
        if count < args.min_count:
            continue
        scored = rescore(_rule_candidates(word, lm), prior)
        if scored:
            best = scored[0][0]
            if prior.prior(best) > 0:
                entries[word] = (best, count)
    n_learned = len(entries)
    for word, arabic in seed.items():
        entries[word] = (arabic, latin.get(word, 0))
    keep = sorted(
        w.strip().lower()
        for w in (HERE / "keep_latin.txt").read_text(encoding="utf-8").splitlines()
        if w.strip() and not w.startswith("#")
    )
    keys = sorted(entries)
    vocab_words = sorted(vocab)
    np.savez_compressed(
        args.out,
        latin_keys=np.array(keys),
        arabic=np.array([entries[k][0] for k in keys]),
        counts=np.array([entries[k][1] for k in keys], dtype=np.int32),
        vocab=np.array(vocab_words),
        vocab_counts=np.array([vocab[w] for w in vocab_words], dtype=np.int32),
        keep_latin=np.array(sorted(set(keep))),
    )
    print(
        f"wrote {args.out}: {n_learned} learned + {len(seed)} seed entries "
        f"({len(latin)} DODa word types), {len(vocab)} Arabic words, "
        f"{args.out.stat().st_size / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
