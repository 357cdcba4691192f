"""Batch versions of the LID line cleaning steps that regex scans made slow on a whole batch.

`_features.encode` cleans a batch as one joined string. Two steps of `_features.clean_line`
cost a third of batch identification when done with ``re.sub`` over that string: the URL /
hashtag scan (the regex engine has no fast skip for its three openings) and the bare-number
blanking (a Python callback per digit run). Here the first looks for its openings with
``str.find`` and only tries the pattern there; the second is numpy over the code points. Both
give exactly what `_features._blank_noise` gives (``tests/lang/test_lid_reference.py`` holds
them to it on every dev line); the per-line path keeps the regex versions as the reference.
Word counts for the length-bucket temperature are also taken here, from the code points,
instead of one ``str.split`` per line.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import numpy.typing as npt

_DIGIT = 1  # str.isdecimal: what ``\d`` matches in a str pattern (Unicode category Nd)
_NUMBER_PUNCT = 2  # the rest of the number class ``[\d.,:/%-]``
_ALPHA = 4  # str.isalpha
_SPACE = 8  # str.isspace: what str.split() splits on (no whitespace lies outside the BMP)
_OPENINGS = ("#", "http", "www.")


def _char_flags(cp: int) -> int:
    ch = chr(cp)
    return (
        (_DIGIT if ch.isdecimal() else 0)
        | (_NUMBER_PUNCT if ch in ".,:/%-" else 0)
        | (_ALPHA if ch.isalpha() else 0)
        | (_SPACE if ch.isspace() else 0)
    )


@lru_cache(maxsize=1)
def _bmp_flags() -> npt.NDArray[np.uint8]:
    """Flags of every BMP code point; built once per process (astral ones are looked up)."""
    return np.array([_char_flags(cp) for cp in range(0x10000)], dtype=np.uint8)


def char_flags(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    """Flags of every code point: the BMP from a table, the rare astral ones one by one."""
    flags = _bmp_flags()[np.minimum(codes, 0xFFFF)]
    if len(codes) and int(codes.max()) > 0xFFFF:
        astral = codes > 0xFFFF
        unique, inverse = np.unique(codes[astral], return_inverse=True)
        flags[astral] = np.array([_char_flags(int(cp)) for cp in unique], np.uint8)[inverse]
    return flags


def blank_urls(text: str, pattern: re.Pattern[str]) -> str:
    """``pattern.sub`` blanking, trying ``pattern`` only where one of `_OPENINGS` starts.

    Same result as a scan when every match of ``pattern`` starts with one of `_OPENINGS`
    (true of `_features._URLISH`): candidates are visited left to right and a match resumes
    the search at its end, as ``re.sub`` does.
    """
    nxt = {o: text.find(o) for o in _OPENINGS}
    if all(v < 0 for v in nxt.values()):
        return text
    pieces: list[str] = []
    last = 0
    while True:
        live = [v for v in nxt.values() if v >= 0]
        if not live:
            break
        cand = min(live)
        match = pattern.match(text, cand)
        resume = cand + 1
        if match:
            pieces += [text[last:cand], " " * (match.end() - cand)]
            last = resume = match.end()
        for o, v in nxt.items():
            if 0 <= v < resume:
                nxt[o] = text.find(o, resume)
    pieces.append(text[last:])
    return "".join(pieces)


def blank_numbers(
    codes: npt.NDArray[np.uint32], flags: npt.NDArray[np.uint8]
) -> npt.NDArray[np.uint32]:
    """Spaces over every ``\\d[\\d.,:/%-]*`` run with no letter right before or after it.

    A regex match starts at the first digit of a maximal run of number-class characters and
    runs to the end of that run; it is kept when the character before it or the one after
    it is a letter (Arabizi ``3afak``), as `_features._blank_noise` decides.
    """
    digit = flags & _DIGIT
    if not digit.any():
        return codes
    in_class = (flags & (_DIGIT | _NUMBER_PUNCT)) != 0
    edge = np.diff(in_class.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    run_start = np.flatnonzero(edge == 1)
    run_end = np.flatnonzero(edge == -1)
    digits = np.flatnonzero(digit)
    k = np.searchsorted(digits, run_start)
    first = digits[np.minimum(k, len(digits) - 1)]
    has = (k < len(digits)) & (first < run_end)
    start, end = first[has], run_end[has]
    alpha = (flags & _ALPHA) != 0
    n = len(codes)
    before = (start > 0) & alpha[np.maximum(start - 1, 0)]
    after = (end < n) & alpha[np.minimum(end, n - 1)]
    blank = ~(before | after)
    if not blank.any():
        return codes
    delta = np.zeros(n + 1, dtype=np.int32)
    delta[start[blank]] += 1
    delta[end[blank]] -= 1
    out = codes.copy()
    out[np.cumsum(delta[:-1]) > 0] = 32
    return out


def word_counts(
    flags: npt.NDArray[np.uint8], line_starts: npt.NDArray[np.intp], n: int
) -> npt.NDArray[np.intp]:
    """``len(line.split())`` of each line of a joined text (lines at ``line_starts``, the
    joiner being whitespace): words are non-space characters after a space or a line start.
    """
    space = (flags & _SPACE) != 0
    starts_word = ~space
    starts_word[1:] &= space[:-1]
    total = np.concatenate(([0], np.cumsum(starts_word, dtype=np.intp)))
    ends = np.append(line_starts[1:], n)[: len(line_starts)]
    return total[ends] - total[line_starts]
