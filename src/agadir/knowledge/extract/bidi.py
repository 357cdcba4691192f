"""Put one line of glyphs, read off a PDF page left to right, back into logical order.

A PDF places glyphs; it does not say in which order a reader reads them. Arabic shaped by a
layout engine is drawn right to left, French and numbers inside it left to right, and the text
layer's own order (content stream, or a viewer's guess at bidi) is often wrong around numbers,
punctuation and lam-alef ligatures. The positions are the one thing every producer gets right,
so we sort glyphs by x and undo the Unicode Bidirectional Algorithm's reordering (UAX #9, rule
L2) from there.

Undoing L2 is not uniquely defined: "Bonjour مرحبا" on the page is both the LTR sentence and the
RTL sentence "مرحبا Bonjour". We resolve it the way a reader would: the paragraph direction is
the direction of the strong characters at both ends of the line (right end RTL and left end LTR
disagree -> majority of letters), numbers and their separators ("10,000", "25%", "12:30") stay
left to right, and a neutral between two left-to-right pieces joins them. Mirrored brackets in
right-to-left runs are swapped back. Not handled: explicit embeddings (LRE/RLO...), vertical
text, and lines that mix columns.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

_MIRROR: Final = str.maketrans("()[]{}<>«»", ")(][}{><»«")
_NUMBER_SEPARATORS: Final = frozenset(",.:/\u066b\u066c\u060c-+")  # CS / ES, Arabic decimal
_NUMBER_AFFIXES: Final = frozenset("%\u066a\u2030#$€£°")  # ET: per cent, currency, degree


@dataclass(frozen=True)
class Glyph:
    """One drawn glyph: its text in logical order (a ligature may carry several characters)."""

    text: str
    left: float
    right: float


def _kind(text: str) -> str:
    """'L', 'R', 'D' (digit), 'S' (whitespace) or 'N' (other neutral) for one glyph's text."""
    for ch in text:
        cls = unicodedata.bidirectional(ch)
        if cls == "L":
            return "L"
        if cls in ("R", "AL"):
            return "R"
        if cls in ("EN", "AN"):
            return "D"
    return "S" if text.isspace() else "N"


def _base_is_rtl(kinds: Sequence[str]) -> bool:
    strong = [k for k in kinds if k in ("L", "R")]
    if not strong:
        return False
    first, last = strong[0], strong[-1]
    if first == last:
        return first == "R"
    if first == "R" and last == "L":  # fits neither direction: trust the majority
        return strong.count("R") > strong.count("L")
    return strong.count("R") > strong.count("L")  # ambiguous "L ... R": majority too


def _strong_neighbours(kinds: Sequence[str]) -> tuple[list[str], list[str]]:
    """For each position, the nearest strong kind ('L'/'R', '' at the edge) left and right."""
    n = len(kinds)
    prev_strong = [""] * n
    next_strong = [""] * n
    last = ""
    for i, k in enumerate(kinds):
        prev_strong[i] = last
        if k in ("L", "R"):
            last = k
    last = ""
    for i in range(n - 1, -1, -1):
        next_strong[i] = last
        if kinds[i] in ("L", "R"):
            last = kinds[i]
    return prev_strong, next_strong


def _numbers(units: list[str], kinds: list[str], rtl: bool) -> None:
    """Fold separators and affixes that belong to a number into it ("10,000", "25%").

    Separators between digits always join (W4). A per-cent or currency sign joins only a
    number in a left-to-right context: after Arabic letters a number is an Arabic number (W2),
    which does not absorb it (W5), so "15%" is drawn "%15" there and must not be taken whole.
    """
    prev_strong, next_strong = _strong_neighbours(kinds)
    n = len(kinds)
    for i in range(n):
        if kinds[i] != "N":
            continue
        text = units[i]
        left = kinds[i - 1] if i > 0 else ""
        right = kinds[i + 1] if i + 1 < n else ""
        if text in _NUMBER_SEPARATORS and left == "D" and right == "D":
            kinds[i] = "D"
        elif text in _NUMBER_AFFIXES and "D" in (left, right):
            edge = "R" if rtl else "L"
            sides = {prev_strong[i] or edge, next_strong[i] or edge}
            if "R" not in sides:
                kinds[i] = "D"


def _levels(kinds: list[str], rtl: bool) -> list[int]:
    """Embedding levels as UAX #9 would resolve them, estimated from visual neighbours."""
    n = len(kinds)
    levels = [0] * n
    prev_strong, next_strong = _strong_neighbours(kinds)
    ltr_piece = [False] * n  # belongs to a left-to-right stretch (L or number)
    for i, k in enumerate(kinds):
        if k == "L":
            ltr_piece[i] = True
        elif k == "D":
            # In an LTR line a number between Arabic words travels with them (W2: AN).
            sides = {
                prev_strong[i] or ("R" if rtl else "L"),
                next_strong[i] or ("R" if rtl else "L"),
            }
            ltr_piece[i] = rtl or sides != {"R"}
    i = 0
    while i < n:
        if kinds[i] in ("S", "N"):
            j = i
            while j < n and kinds[j] in ("S", "N"):
                j += 1
            left_ltr = ltr_piece[i - 1] if i > 0 else not rtl
            right_ltr = ltr_piece[j] if j < n else not rtl
            both_digits = i > 0 and j < n and kinds[i - 1] == "D" and kinds[j] == "D"
            joins = left_ltr and right_ltr and not (rtl and both_digits)
            for m in range(i, j):
                ltr_piece[m] = joins if rtl else (left_ltr or right_ltr)
            i = j
        else:
            i += 1
    for i, k in enumerate(kinds):
        if rtl:
            levels[i] = 2 if ltr_piece[i] else 1
        else:
            levels[i] = 2 if (k == "D" and not ltr_piece[i]) else (0 if ltr_piece[i] else 1)
    return levels


def _reorder(items: list[str], levels: list[int]) -> list[str]:
    """Undo L2: reversing runs at level >= 1, then >= 2, ... inverts the forward reordering."""
    order = list(range(len(items)))
    lv = list(levels)
    top = max(lv, default=0)
    for floor in range(1, top + 1):
        i = 0
        while i < len(order):
            if lv[i] >= floor:
                j = i
                while j < len(order) and lv[j] >= floor:
                    j += 1
                order[i:j] = order[i:j][::-1]
                lv[i:j] = lv[i:j][::-1]
                i = j
            else:
                i += 1
    return [items[k] for k in order]


def visual_to_logical(glyphs: Sequence[Glyph], space_gap: float) -> str:
    """The logical text of one line of glyphs; a gap wider than `space_gap` is a space.

    Whitespace glyphs are ignored and spaces are rebuilt from gaps, because producers disagree on
    whether they draw spaces at all (fpdf2 and Word often move the pen instead).
    """
    drawn = sorted((g for g in glyphs if g.text and not g.text.isspace()), key=lambda g: g.left)
    units: list[str] = []
    prev_right: float | None = None
    for g in drawn:
        if prev_right is not None and g.left - prev_right > space_gap:
            units.append(" ")
        units.append(g.text)
        prev_right = g.right if prev_right is None else max(prev_right, g.right)
    if not units:
        return ""
    kinds = [_kind(u) for u in units]
    rtl = _base_is_rtl(kinds)
    _numbers(units, kinds, rtl)
    levels = _levels(kinds, rtl)
    units = [u.translate(_MIRROR) if lv % 2 else u for u, lv in zip(units, levels, strict=True)]
    return "".join(_reorder(units, levels))
