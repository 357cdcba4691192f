"""Darija precision filter: FineWeb-2's word-list rule against MSA/Algerian leaking into ary.

Our LID (like GlotLID) confuses some MSA, Algerian or Egyptian text with Darija. FineWeb-2
keeps an ``ary_Arab`` document only if its URL looks Moroccan or it contains at least one word
of a list of words found almost only in Darija (85% precision list, packaged with Agadir). Other
languages pass untouched. The word list is read once per worker, lazily, from a path.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from agadir.corpus.errors import RecipeError
from agadir.corpus.words import RegexWordTokenizer

DEFAULT_URL_PATTERN = r"morocc|maroc|\.ma(?:/|$|:)|moroccanarabic|darija|hespress"


class DarijaPrecision(BaseFilter):
    """Keep a document of ``languages`` if its URL matches or it has ``min_words`` list words."""

    name = "🎯 Darija precision"

    def __init__(
        self,
        wordlist: Path,
        languages: Collection[str] = ("ary_Arab",),
        url_pattern: str = DEFAULT_URL_PATTERN,
        min_words: int = 1,
    ) -> None:
        super().__init__()
        if not Path(wordlist).is_file():
            raise RecipeError(f"Darija word list {wordlist} does not exist", param="precision")
        self.wordlist = Path(wordlist)
        self.languages = frozenset(languages)
        self.url_pattern = url_pattern
        self.min_words = min_words
        self._words: frozenset[str] | None = None
        self._tok = RegexWordTokenizer()

    def words(self) -> frozenset[str]:
        if self._words is None:
            lines = self.wordlist.read_text(encoding="utf-8").splitlines()
            self._words = frozenset(w.strip() for w in lines if w.strip())
        return self._words

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata.get("language") not in self.languages:
            return True
        url = str(doc.metadata.get("url", ""))
        if url and re.search(self.url_pattern, url, re.IGNORECASE):
            return True
        vocab = self.words()
        hits = 0
        for w in self._tok.word_tokenize(doc.text):
            if w in vocab:
                hits += 1
                if hits >= self.min_words:
                    return True
        return False, "darija_precision"
