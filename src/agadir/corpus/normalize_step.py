"""Light, lossless-in-meaning normalisation for training text (not the search-key folding).

`agadir.lang.normalize` folds text for matching (lower-case, alef variants, lengthening); a
training corpus must keep what people wrote. So this step only repairs encoding-level noise:
Unicode NFC, control and zero-width characters (except ZWNJ, meaningful in Persian/Arabic
typography), tatweel (U+0640, a purely visual stretch), runs of blanks, trailing spaces and
more than two consecutive blank lines. Documents left empty are dropped with reason ``empty``.
It does not fix mojibake (``Ã©``): that needs the original bytes; the reader flags it instead.
"""

from __future__ import annotations

import re
import unicodedata

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200d\u2060\ufeff\u0640]")
_BLANKS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")
_TRAILING = re.compile(r" +\n")
_MANY_NL = re.compile(r"\n{3,}")


def normalize_document_text(text: str) -> str:
    """The normalised form of ``text`` (see module notes for what changes)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    text = _BLANKS.sub(" ", text)
    text = _TRAILING.sub("\n", text)
    return _MANY_NL.sub("\n\n", text).strip()


class NormalizeText(BaseFilter):
    """Normalise in place; drop documents with nothing left (reason ``empty``)."""

    name = "🧹 Normalise"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        doc.text = normalize_document_text(doc.text)
        return (True, "") if doc.text else (False, "empty")
