"""Which new merges may exist: a merged token must touch a target script, so other text is safe.

A byte-level BPE works on UTF-8 bytes, so a merge can glue parts of characters. A new merge
``(a, b)`` is allowed only when its bytes ``m = a + b``

1. start on a character boundary (not with a UTF-8 continuation byte), and
2. contain a whole character of a target script, or end with a character missing only its last
   byte whose possible completions include a target character (``E2 B5`` can only become
   Tifinagh).

Why this protects other text: a new merge fires in a pre-tokenized word only if the word's bytes
contain ``m`` at a character boundary, so the word holds a target character, or a character that
completes ``m``'s unfinished tail. Those tail completions outside the target scripts are the
*collateral* characters (`collateral`): for Tifinagh, the lead bytes ``E2 B4`` are shared with
Georgian Nuskhuri (U+2D00-U+2D2F). Text with neither target nor collateral characters tokenizes
exactly as before. Not handled: scripts other than Tfng, Arab and Latn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

Range = tuple[int, int]  # inclusive code point range
# An unfinished tail may miss one continuation byte at most: 64 possible characters, so the
# collateral of a tail stays inside one small block.
MAX_TAIL_SPAN = 64

SCRIPT_RANGES: dict[str, tuple[Range, ...]] = {
    "Tfng": ((0x2D30, 0x2D7F),),
    "Arab": (
        (0x0600, 0x06FF),
        (0x0750, 0x077F),
        (0x08A0, 0x08FF),
        (0xFB50, 0xFDFF),
        (0xFE70, 0xFEFF),
    ),
    "Latn": (
        (0x41, 0x5A),
        (0x61, 0x7A),
        (0xC0, 0xD6),
        (0xD8, 0xF6),
        (0xF8, 0x24F),
        (0x1E00, 0x1EFF),
    ),
}


def script_of_label(label: str) -> str:
    """``zgh_Tfng`` -> ``Tfng``; refuses scripts this module has no ranges for."""
    script = label.rsplit("_", 1)[-1]
    if script not in SCRIPT_RANGES:
        allowed = ", ".join(sorted(SCRIPT_RANGES))
        raise ValueError(f"target {label!r}: script {script!r} not supported (allowed: {allowed})")
    return script


def _overlap(lo: int, hi: int, ranges: Iterable[Range]) -> list[Range]:
    return [(max(lo, a), min(hi, b)) for a, b in ranges if max(lo, a) <= min(hi, b)]


def _subtract(lo: int, hi: int, ranges: Iterable[Range]) -> list[Range]:
    """``[lo, hi]`` minus ``ranges``, as sorted disjoint ranges."""
    out, start = [], lo
    for a, b in sorted(ranges):
        if b < start or a > hi:
            continue
        if a > start:
            out.append((start, a - 1))
        start = max(start, b + 1)
    if start <= hi:
        out.append((start, hi))
    return out


def _char_length(lead: int) -> int:
    if lead < 0x80:
        return 1
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0  # continuation byte or invalid lead


@dataclass(frozen=True)
class MergeCheck:
    allowed: bool
    collateral: tuple[Range, ...] = ()  # non-target code points the tail may complete to


@dataclass(frozen=True)
class ScriptGuard:
    """The allowed-merge rule for a set of target scripts (see the module docstring)."""

    ranges: tuple[Range, ...]

    @classmethod
    def for_labels(cls, labels: Iterable[str]) -> ScriptGuard:
        ranges = {r for label in labels for r in SCRIPT_RANGES[script_of_label(label)]}
        return cls(tuple(sorted(ranges)))

    def is_target(self, cp: int) -> bool:
        return any(a <= cp <= b for a, b in self.ranges)

    def check(self, merged: bytes) -> MergeCheck:
        return _check(self.ranges, merged)


@cache
def _check(ranges: tuple[Range, ...], merged: bytes) -> MergeCheck:
    if not merged or _char_length(merged[0]) == 0:
        return MergeCheck(False)
    i, touches = 0, False
    while i < len(merged):
        size = _char_length(merged[i])
        if size == 0:
            return MergeCheck(False)
        chunk = merged[i : i + size]
        if any(_char_length(b) != 0 or b > 0xBF for b in chunk[1:]):
            return MergeCheck(False)  # a lead byte where a continuation byte belongs
        if len(chunk) < size:  # unfinished tail: which characters can it become?
            lo = int.from_bytes(chunk + b"\x80" * (size - len(chunk)), "big")
            hi = int.from_bytes(chunk + b"\xbf" * (size - len(chunk)), "big")
            lo_cp = ord(bytes.fromhex(f"{lo:x}").decode("utf-8", errors="replace")[0])
            hi_cp = ord(bytes.fromhex(f"{hi:x}").decode("utf-8", errors="replace")[0])
            if touches:
                return MergeCheck(True)
            if lo_cp == 0xFFFD or hi_cp == 0xFFFD or hi_cp - lo_cp >= MAX_TAIL_SPAN:
                return MergeCheck(False)
            if not _overlap(lo_cp, hi_cp, ranges):
                return MergeCheck(False)
            return MergeCheck(True, tuple(_subtract(lo_cp, hi_cp, ranges)))
        try:
            cp = ord(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            return MergeCheck(False)
        touches = touches or any(a <= cp <= b for a, b in ranges)
        i += size
    return MergeCheck(touches)


def byte_alphabet() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map used by byte-level BPE vocabularies.

    Printable Latin-1 bytes map to themselves; the others to U+0100 upwards in byte order.
    """
    keep = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    out = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in out:
            out[b] = chr(0x100 + extra)
            extra += 1
    return out


def token_bytes(token: str, decode: dict[str, int]) -> bytes | None:
    """The bytes of a byte-level token string; None when it holds a non-alphabet character."""
    try:
        return bytes(decode[c] for c in token)
    except KeyError:
        return None
