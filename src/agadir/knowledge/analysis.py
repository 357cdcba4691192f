"""The text analyser shared by indexing and querying for BM25.

Both sides go through the same steps, so a query term matches the indexed term whatever the
spelling variant: `agadir.lang.normalize` (alef/hamza/ya/ta-marbuta folding, Arabic-Indic
digits, diacritics, Arabizi lower-casing), then word tokens, then a *light* Arabic stemmer that
strips the article and the one-letter conjunction/preposition prefixes (و ف ب ك ل + ال) and a
few frequent suffixes. Light stemming is the usual choice for Arabic retrieval: it fixes the
biggest recall loss (ال-prefixed vs bare forms) without the over-merging of root stemmers.

It does not handle French/English stemming beyond lower-casing and a plural `s`; BM25 on
those languages is helped by the dense side of the hybrid search instead.
"""

from __future__ import annotations

import hashlib
import re

from agadir.lang.normalization import normalize

_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال")
_SUFFIXES = ("هما", "كم", "هم", "ها", "ات", "ين", "ون", "يه", "ه")
# Function words (MSA, Darija, Arabizi, French, English): in a small base BM25's IDF is too
# noisy to discount them, and a shared function word is no evidence of relevance.
_STOPWORDS = """
في من على الى عن او و ف ب ل ما لا ان هل شنو اش واش كيفاش فين علاش ديال هاد داك
التي الذي الذين هذا هذه ذلك تلك هو هي هم كان كانت يكون متى كيف اين لماذا ماذا اي
مع بين عند حتى قبل بعد كل او ام لم لن قد ثم انا نحن انت اللي باش شي ولا واحد بغيت
خاصني خاص كاين كاينه فوقاش علاه مزيان بزاف غير حيت
chno chnou chnu ach wach kifach kifash fin fayn 3lach dyal dial had dak f l o w
le la les de des du un une et ou en au aux pour par sur est que qui quoi dans avec
the a an of to in on is are what how when where which for and or do does
"""
_STOP = frozenset(normalize(w).lower() for w in _STOPWORDS.split())


def _stem_arabic(word: str) -> str:
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    else:
        if word[0] in "وفبكل" and len(word) >= 4:
            word = word[1:]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)]
    return word


def _stem_latin(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Index/query terms of `text`, in order (duplicates kept: BM25 counts them)."""
    out: list[str] = []
    for word in _WORD.findall(normalize(text).lower()):
        if word in _STOP or (word.isdigit() and len(word) < 2):
            continue
        out.append(_stem_arabic(word) if _ARABIC.match(word) else _stem_latin(word))
    return out


def kb_token(kb: str) -> str:
    """The single index token standing for a base in the FTS5 table (names may contain
    characters the tokenizer splits on, so they cannot be matched as themselves)."""
    return "kb" + hashlib.sha256(kb.encode()).hexdigest()[:20]


def fts_query(words: list[str], kbs: list[str]) -> str | None:
    """An FTS5 MATCH expression: the distinct terms ORed (each quoted: no syntax injection),
    restricted to the bases' tokens by a column filter."""
    distinct = list(dict.fromkeys(w.replace('"', "") for w in words if w))
    if not distinct or not kbs:
        return None
    terms_part = " OR ".join(f'"{w}"' for w in distinct)
    bases_part = " OR ".join(kb_token(kb) for kb in kbs)
    return f"{{kbtoken}} : ({bases_part}) AND {{terms}} : ({terms_part})"
