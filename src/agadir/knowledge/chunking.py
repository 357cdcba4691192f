"""Cut an `ExtractedDocument` into retrievable passages along sentence boundaries.

Why sentences: a passage that starts mid-sentence is hard to quote and embeds badly. The text is
split into *pieces*, each a stretch of ``doc.text`` with its surrounding whitespace left out:
lines (newline; a Markdown heading is a line), then sentences ending in ``. ! ? ؟ …`` (closing
quotes and brackets stay with them). A piece longer than `max_tokens` is split at the weaker
boundaries ``، ؛ , ; :`` and, failing that, between words. Every chunk is also at most
`max_chars` characters: a run without spaces (a 150k-character "word", a line of dashes) counts
as one token, so the token bound alone would let it through whole; such a run is hard-split
into windows, at a space when one is near the end of the window. Pieces are packed greedily
into chunks; neighbours share whole trailing pieces worth at most `overlap_tokens`.

Chunks never cross a page boundary (a citation names one page) and every ``ChunkSpan.text`` is
exactly ``doc.text[start:end]``, because citations are checked against the stored text.
Not handled: abbreviations ("M. Dupont" ends a sentence), languages without spaces.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from agadir.knowledge.document import ChunkSpan, ExtractedDocument
from agadir.knowledge.errors import KnowledgeError

__all__ = ["MAX_CHUNK_CHARS", "chunk_document", "count_tokens_regex"]

# Far above what 180 tokens of prose take (~1,100 characters), so only runs without spaces hit it.
MAX_CHUNK_CHARS: Final = 2000

# A word (letters, digits, Arabic combining marks) or one punctuation/symbol character.
_TOKEN: Final = re.compile(r"(?:\w|[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed])+|[^\w\s]")
_LINE: Final = re.compile(r"[^\n]+")
_CLOSERS: Final = "\"'»”’)\\]"
_SENTENCE_END: Final = re.compile(rf"[.!?؟…]+[{_CLOSERS}]*(?=\s|$)")
_WEAK_END: Final = re.compile(rf"[،؛,;:]+[{_CLOSERS}]*(?=\s|$)")
_WORD: Final = re.compile(r"\S+")


def count_tokens_regex(text: str) -> int:
    """Words plus punctuation marks: a fast stand-in for a subword tokenizer.

    Subword tokenizers give more tokens per word (1.3-2 for French, more for Arabic), so pass
    the embedding model's own counter when the bound must match its context exactly.
    """
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    tokens: int


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _Splitter:
    """Pieces of one page segment, each at most `max_tokens` unless it is a single word."""

    def __init__(
        self, text: str, max_tokens: int, max_chars: int, count: Callable[[str], int]
    ) -> None:
        self.text = text
        self.max_tokens = max_tokens
        self.max_chars = max_chars
        self.count = count

    def _piece(self, start: int, end: int) -> _Piece:
        return _Piece(start, end, self.count(self.text[start:end]))

    def _cut(self, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        """Sub-spans of ``[start, end)`` ending at each match of `pattern`, stripped."""
        spans: list[tuple[int, int]] = []
        cursor = start
        for match in pattern.finditer(self.text, start, end):
            a, b = _stripped(self.text, cursor, match.end())
            if a < b:
                spans.append((a, b))
            cursor = match.end()
        a, b = _stripped(self.text, cursor, end)
        if a < b:
            spans.append((a, b))
        return spans

    def _pack(self, parts: list[_Piece]) -> list[_Piece]:
        """Merge consecutive parts while the merged text stays within the bound."""
        out: list[_Piece] = []
        for part in parts:
            fits = part.end - out[-1].start <= self.max_chars if out else False
            if fits and out[-1].tokens + part.tokens <= self.max_tokens:
                merged = self._piece(out[-1].start, part.end)
                if merged.tokens <= self.max_tokens:
                    out[-1] = merged
                    continue
            out.append(part)
        return out

    def _split_long(self, piece: _Piece) -> list[_Piece]:
        clauses = [self._piece(a, b) for a, b in self._cut(piece.start, piece.end, _WEAK_END)]
        parts: list[_Piece] = []
        for clause in clauses:
            if clause.tokens <= self.max_tokens:
                parts.append(clause)
                continue
            words = [
                self._piece(m.start(), m.end())
                for m in _WORD.finditer(self.text, clause.start, clause.end)
            ]
            parts.extend(self._pack(words))
        return self._pack(parts)

    def _hard_split(self, piece: _Piece) -> list[_Piece]:
        """Windows of at most `max_chars`, cut at the last space in a window's second half
        when there is one, else mid-run."""
        out: list[_Piece] = []
        start = piece.start
        while piece.end - start > self.max_chars:
            cut = start + self.max_chars
            space = self.text.rfind(" ", start + self.max_chars // 2, cut)
            cut = space if space > start else cut
            a, b = _stripped(self.text, start, cut)
            if a < b:
                out.append(self._piece(a, b))
            start = cut
        a, b = _stripped(self.text, start, piece.end)
        if a < b:
            out.append(self._piece(a, b))
        return out

    def pieces(self, start: int, end: int) -> list[_Piece]:
        out: list[_Piece] = []
        for line in _LINE.finditer(self.text, start, end):
            for a, b in self._cut(line.start(), line.end(), _SENTENCE_END):
                piece = self._piece(a, b)
                if piece.tokens > self.max_tokens and _WORD.search(self.text, a, b) is not None:
                    parts = self._split_long(piece)
                else:
                    parts = [piece]
                for part in parts:
                    if part.end - part.start > self.max_chars:
                        out.extend(self._hard_split(part))
                    else:
                        out.append(part)
        return out


def _segments(doc: ExtractedDocument) -> list[tuple[int, int]]:
    """Page spans, plus any text between or around them, as disjoint ordered segments."""
    cuts = {0, len(doc.text)}
    for page in doc.pages:
        cuts.update((max(0, min(page.start, len(doc.text))), max(0, min(page.end, len(doc.text)))))
    ordered = sorted(cuts)
    return [(a, b) for a, b in itertools.pairwise(ordered) if a < b]


def chunk_document(
    doc: ExtractedDocument,
    *,
    max_tokens: int = 180,
    overlap_tokens: int = 30,
    max_chars: int = MAX_CHUNK_CHARS,
    count_tokens: Callable[[str], int] | None = None,
) -> list[ChunkSpan]:
    """Sentence-aligned chunks of `doc` of at most `max_tokens` and `max_chars`, overlapping by
    whole pieces."""
    if max_tokens < 1 or overlap_tokens < 0 or overlap_tokens >= max_tokens or max_chars < 2:
        raise KnowledgeError(
            f"chunking needs max_tokens >= 1, 0 <= overlap_tokens < max_tokens and "
            f"max_chars >= 2 (got {max_tokens}, {overlap_tokens} and {max_chars})",
            param="max_tokens",
        )
    count = count_tokens or count_tokens_regex
    splitter = _Splitter(doc.text, max_tokens, max_chars, count)
    chunks: list[ChunkSpan] = []
    for seg_start, seg_end in _segments(doc):
        pieces = splitter.pieces(seg_start, seg_end)
        first = 0
        while first < len(pieces):
            last = first  # inclusive
            total = pieces[first].tokens
            while (
                last + 1 < len(pieces)
                and total + pieces[last + 1].tokens <= max_tokens
                and pieces[last + 1].end - pieces[first].start <= max_chars
            ):
                last += 1
                total += pieces[last].tokens
            # A model tokenizer may count the joined text differently from its parts.
            while (
                last > first
                and count(doc.text[pieces[first].start : pieces[last].end]) > max_tokens
            ):
                last -= 1
            start, end = pieces[first].start, pieces[last].end
            chunks.append(
                ChunkSpan(len(chunks), start, end, doc.page_at(start), doc.text[start:end])
            )
            if last + 1 >= len(pieces):
                break
            nxt = last + 1
            shared = 0
            while nxt - 1 > first and shared + pieces[nxt - 1].tokens <= overlap_tokens:
                nxt -= 1
                shared += pieces[nxt].tokens
            first = nxt
    return chunks
