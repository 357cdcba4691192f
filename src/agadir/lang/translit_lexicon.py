"""Word-level Arabizi -> Arabic lexicon and Arabic-script Darija word counts (the prior).

Packaged as ``translit_lexicon.npz`` and rebuilt by `scripts/build_translit_lexicon.py`:

* ``entries``: Latin word or phrase (as DODa writes it) -> Arabic spelling, with how often the
  Latin form occurs in the DODa training sentences. Learned entries are the reading the
  character model and the word prior agree on (see the script); a short hand-written seed of
  very common words and set phrases (``chokran`` -> شكرا, ``salam 3likom`` -> السلام عليكم)
  covers spellings no rule can derive;
* ``vocab``: Arabic-script Darija word counts (NLLB-Seed ``ary_Arab`` train lines, FineWeb-2
  Darija word list, seed spellings). The transliterator adds ``log(1 + count)`` to candidates
  found there, so an unseen Arabizi word still prefers a spelling Darija writers use;
* ``latin``: French/English words that Moroccans write in Latin script inside Darija (taxi,
  wifi), used only when the caller asks to keep them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

import numpy as np

from agadir.lang.errors import LangModelError

_ARTEFACT = "translit_lexicon.npz"
#: Longest phrase (in words) the lexicon holds.
MAX_PHRASE = 3
#: DODa's loanword letters -> the plain letters most Darija text writes instead (پ ڤ ڭ گ ->
#: ب ف ك ك). The word counts and the character LM see the plain form.
PLAIN_LETTERS = str.maketrans("پڤڭگ", "بفكك")
#: The prior's key: plain letters, the hamza seats on alef read as a bare alef (أ إ آ -> ا),
#: which Darija writers often leave out (اخرى / أخرى) and Arabizi never marks, and alef
#: maqsura as alef: the count of على backs the reading علا of ``3la``, whose ة reading it must
#: beat, while the output keeps the ا that DODa's Darija spelling writes. Letters Arabizi also
#: merges (ث ذ -> ت د) are not folded: they helped the held-out TRAIN check a little, but
#: the count of a stray ثة turned the common ``tta`` تا into تة (docs/benchmarks.md).
PRIOR_KEY = str.maketrans("پڤڭگأإآى", "بفككاااا")
_FOLDED_WORD = re.compile("[^\n]*[پڤڭگأإآى][^\n]*")


@dataclass(frozen=True)
class Lexicon:
    """Lookup tables; keys are lower-cased except where case marks an emphatic (DODa ``T``)."""

    entries: dict[str, tuple[str, int]]
    vocab: dict[str, int]
    latin: frozenset[str]

    def lookup(self, word: str) -> str | None:
        """Arabic spelling of a Latin word or phrase: exact form first, then lower-cased."""
        hit = self.entries.get(word) or self.entries.get(word.lower())
        return hit[0] if hit else None

    def count(self, latin: str) -> int:
        """How often the Latin form occurred in the DODa training sentences (0 if unknown)."""
        hit = self.entries.get(latin) or self.entries.get(latin.lower())
        return hit[1] if hit else 0

    @cached_property
    def _key_counts(self) -> dict[str, int]:
        # Only the words with a folded letter are re-counted (found by one regex pass): a
        # translate per word was most of a cold first pass. Lookups are by key, so a word's
        # own entry left under its unfolded spelling is never read.
        counts = dict(self.vocab)
        for word in _FOLDED_WORD.findall("\n".join(self.vocab)):
            key = word.translate(PRIOR_KEY)
            counts[key] = counts.get(key, 0) + self.vocab[word]
        return counts

    def prior(self, arabic: str) -> float:
        """Log-prior bonus of an Arabic spelling: ``log(1 + count)`` (0 if unknown), the count
        of every known spelling with the same `PRIOR_KEY` form (plain letters, bare alef)."""
        return math.log1p(self._key_counts.get(arabic.translate(PRIOR_KEY), 0))


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The packaged lexicon, loaded once per process."""
    try:
        ref = resources.files("agadir.lang").joinpath(_ARTEFACT)
        with resources.as_file(ref) as path, np.load(path) as npz:
            latin_keys = npz["latin_keys"].tolist()
            arabic = npz["arabic"].tolist()
            counts = npz["counts"].tolist()
            vocab = dict(zip(npz["vocab"].tolist(), npz["vocab_counts"].tolist(), strict=True))
            keep_latin = frozenset(npz["keep_latin"].tolist())
    except (OSError, KeyError, ValueError) as exc:
        raise LangModelError(
            f"transliteration lexicon {_ARTEFACT} is missing or corrupt ({exc}); "
            "rebuild it with `python scripts/build_translit_lexicon.py`."
        ) from exc
    entries = {k: (a, int(c)) for k, a, c in zip(latin_keys, arabic, counts, strict=True)}
    return Lexicon(entries, vocab, keep_latin)
