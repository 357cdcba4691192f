"""Gopher repetition rules, same decisions as datatrove's filter at a fraction of the CPU.

Profiling the per-language quality step on the 20k-document bench (cProfile) put ~75 % of its
time in datatrove's ``GopherRepetitionFilter`` word n-gram checks: for every window it builds a
list slice and joins it (``" ".join(words[i:i + n])`` for the top n-grams, ``"".join(...)`` for
the duplicated n-grams), six to nine times per document, then counts in a Python loop.

`FastGopherRepetition` applies the same rules in the same order with the same thresholds and
reasons, but joins the words once per document and takes each window as a *slice* of that
string (a window's join is exactly the substring between two word offsets), and counts with
`collections.Counter`'s C loop. The results are identical, not approximately equal:
``tests/corpus/test_repetition.py`` compares both filters on every planted document kind.
"""

from __future__ import annotations

from collections import Counter
from itertools import accumulate

from datatrove.data import Document
from datatrove.pipeline.filters.gopher_repetition_filter import GopherRepetitionFilter
from datatrove.utils.text import split_into_words


def _duplicates(items: list[str]) -> tuple[int, int]:
    """Repeated elements and their characters (each repeat after the first sighting counts)."""
    seen: set[str] = set()
    elements = chars = 0
    for item in items:
        if item in seen:
            elements += 1
            chars += len(item)
        else:
            seen.add(item)
    return elements, chars


def top_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by the most frequent space-joined ``n``-gram (needs ``n`` words).

    Ties go to the n-gram seen first, as with ``Counter.most_common`` over the windows in order.
    """
    spaced = " ".join(words)
    # start of word k in `spaced`; the window i..i+n-1 ends one space before word i+n starts
    starts = [0, *accumulate(len(w) + 1 for w in words)]
    grams = [spaced[starts[i] : starts[i + n] - 1] for i in range(len(words) - n + 1)]
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def duplicated_ngram_chars(words: list[str], n: int, glued: str, offsets: list[int]) -> int:
    """Characters in repeated ``n``-grams (words glued without spaces, as Gopher does).

    A repeat is skipped over whole (the next window starts after it), so overlapping repeats
    are not counted twice. ``glued`` is ``"".join(words)``, ``offsets[k]`` where word k starts.
    """
    seen: set[str] = set()
    repeated = idx = 0
    last = len(words) - n + 1
    while idx < last:
        gram = glued[offsets[idx] : offsets[idx + n]]
        if gram in seen:
            repeated += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated


class FastGopherRepetition(GopherRepetitionFilter):
    """datatrove's Gopher repetition filter with cheaper n-gram counting (same results)."""

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text
        if not text:
            return False, "empty"
        paragraphs = self.paragraph_exp.split(text.strip())
        para_dups, para_chars = _duplicates(paragraphs)
        if self.dup_para_frac and para_dups / len(paragraphs) > self.dup_para_frac:
            return False, "dup_para_frac"
        if self.dup_para_char_frac and para_chars / len(text) > self.dup_para_char_frac:
            return False, "dup_para_char_frac"
        lines = self._line_splitter.split(text)
        line_dups, line_chars = _duplicates(lines)
        if self.dup_line_frac and line_dups / len(lines) > self.dup_line_frac:
            return False, "dup_line_frac"
        if self.dup_line_char_frac and line_chars / len(text) > self.dup_line_char_frac:
            return False, "dup_line_char_frac"
        # the same cached call as datatrove's other filters: one tokenisation per document
        words: list[str] = split_into_words(text, self.language)
        for n, frac in self.top_n_grams:
            if len(words) >= n and top_ngram_chars(words, n) / len(text) > frac:
                return False, f"top_{n}_gram"
        if self.dup_n_grams:
            glued = "".join(words)
            offsets = [0, *accumulate(len(w) for w in words)]
            for n, frac in self.dup_n_grams:
                if duplicated_ngram_chars(words, n, glued, offsets) / len(text) > frac:
                    return False, f"duplicated_{n}_n_grams"
        return True
