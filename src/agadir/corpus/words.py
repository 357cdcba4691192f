"""A word/sentence tokenizer for datatrove filters that needs no downloads and no model.

datatrove's Gopher/FineWeb filters split text with a per-language tokenizer (nltk punkt, spaCy,
stanza) that fetches data at run time or is missing for Darija, Arabizi and Tamazight. We pass
this one instead: words are runs of letters/digits/marks (``3la``, ``ⴰⵎⴰⵣⵉⵖ``, ``ديال``), and
each punctuation sign is its own token, as nltk does (hyphenated compounds such as ``peut-être`` or
Kabyle ``ussemɛen-nwen`` stay one word, as in nltk; splitting them made 100 % of Berber pages
fail Gopher's alpha-word ratio), so the filters' "non-alpha words" and
"symbol" ratios mean the same thing. FineWeb-2 tuned Tifinagh with a whitespace tokenizer
(punctuation stays on the word), so ``whitespace=True`` reproduces that for ``*_Tfng``.
It does not handle scripts without spaces (CJK, Thai).
"""

from __future__ import annotations

import re

from datatrove.utils.word_tokenizers import WordTokenizer

_WORD = re.compile(
    r"[^\W\d_]{1,2}['’](?=\w)"  # French/Spanish elision: "l'", "d'", "qu'" are words
    r"|[\w\u0610-\u061A\u064B-\u065F\u0670\u2D6F]+(?:['’\-][\w]+)*"
    r"|[^\w\s]"
)
_SENT_END = re.compile(r"[^.!?؟\n]*(?:[.!?؟]+|\n+|$)")


class RegexWordTokenizer(WordTokenizer):
    """Unicode regex tokenizer shared by every language of the corpus pipeline."""

    def __init__(self, language: str | None = None, whitespace: bool = False) -> None:
        super().__init__(language)
        self.whitespace = whitespace

    def word_tokenize(self, text: str) -> list[str]:
        return text.split() if self.whitespace else _WORD.findall(text)

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for m in _SENT_END.finditer(text):
            if m.end() > m.start() and text[m.start() : m.end()].strip():
                spans.append((m.start(), m.end()))
        return spans or [(0, len(text))]

    def sent_tokenize(self, text: str) -> list[str]:
        return [text[a:b].strip() for a, b in self.span_tokenize(text)]
