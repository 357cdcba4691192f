"""Find where digits are, once, so the digit-based recognisers only look there.

Ordinary prose has few digits. One C-level scan groups digits that sit at most three
characters apart (enough for "+212 (0)6", "MA64 0117" or "06 12 34") into clusters; each
recogniser's regex then runs only over a small window around a cluster, instead of trying a
lookbehind at every character of a long message. Regex lookbehinds still see the text before
the window (``Pattern.finditer(text, pos, endpos)`` does not slice), so boundaries hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ._digits import DIGIT
from ._types import PiiMatch, PiiType

_CLUSTER = re.compile(rf"{DIGIT}(?:[^\n]{{0,3}}?{DIGIT})*")
# Prefix room before the first digit ("(+", "MA ", "AB-") and lookahead room after the last.
_BEFORE = 3
_AFTER = 3


@dataclass(frozen=True, slots=True)
class Window:
    """A digit cluster ``[start, end)`` and the slice of text a recogniser may scan."""

    start: int
    end: int
    scan_start: int
    scan_end: int

    @property
    def span(self) -> int:
        return self.end - self.start


def digit_windows(text: str) -> list[Window]:
    """The digit clusters of ``text`` with their scan windows, in order."""
    size = len(text)
    return [
        Window(m.start(), m.end(), max(0, m.start() - _BEFORE), min(size, m.end() + _AFTER))
        for m in _CLUSTER.finditer(text)
    ]


@dataclass(frozen=True, slots=True)
class DigitRecogniser:
    """A shape regex, the shortest cluster that can hold it, and a validator on the match."""

    kind: PiiType
    pattern: re.Pattern[str]
    min_span: int
    validate: Callable[[re.Match[str]], bool]

    def find(self, text: str, windows: Iterable[Window]) -> Iterator[PiiMatch]:
        """Validated matches of this recogniser inside ``windows`` of ``text``."""
        for w in windows:
            if w.span < self.min_span:
                continue
            for m in self.pattern.finditer(text, w.scan_start, w.scan_end):
                if self.validate(m):
                    yield PiiMatch(self.kind, m.start(), m.end(), m.group())
