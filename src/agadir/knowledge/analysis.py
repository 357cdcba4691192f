"""The text analyser shared by indexing and querying for BM25.

Both sides go through the same steps, so a query term matches the indexed term whatever the
spelling variant: `agadir.lang.normalize` (alef/hamza/ya/ta-marbuta folding, Arabic-Indic
digits, diacritics, Arabizi lower-casing), then word tokens, then a *light* Arabic stemmer that
strips the article and the one-letter conjunction/preposition prefixes (و ف ب ك ل + ال) and a
few frequent suffixes. Light stemming is the usual choice for Arabic retrieval: it fixes the
biggest recall loss (ال-prefixed vs bare forms) without the over-merging of root stemmers.

The plural suffixes ون/ين only come off when a stem of at least 4 letters remains: the sound
plurals they mark are built on participles and nouns of 4+ letters (فلاحون -> فلاح), while a
3-letter remainder is usually part of the word (زيتون "olives" must not fold into زيت "oil").

It does not handle French/English stemming beyond lower-casing and a plural `s`; BM25 on
those languages is helped by the dense side of the hybrid search instead. French elision
(l', d', qu') splits at the apostrophe into a one-letter word, dropped as a stopword.
"""

from __future__ import annotations

import hashlib
import re

from agadir.lang.normalization import normalize

_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال")
_SUFFIXES = ("هما", "كم", "هم", "ها", "ات", "ين", "ون", "يه", "ه")
_PLURAL = ("ين", "ون")  # need a 4-letter stem (module notes)
# Function words (MSA, Darija, Arabizi, French, English): in a small base BM25's IDF is too
# noisy to discount them, and a shared function word is no evidence of relevance.
_STOPWORDS = """
في من على الى عن او و ف ب ل ما لا ان هل شنو اش واش كيفاش فين علاش ديال هاد داك
التي الذي الذين هذا هذه ذلك تلك هو هي هم كان كانت يكون متى كيف اين لماذا ماذا اي
مع بين عند حتى قبل بعد كل او ام لم لن قد ثم انا نحن انت اللي باش شي ولا واحد بغيت
خاصني خاص كاين كاينه فوقاش علاه مزيان بزاف غير حيت
امتى إمتى وقتاش منين شكون اشنو آشنو دابا ياك راه
chno chnou chnu ach wach kifach kifash fin fayn 3lach dyal dial had dak f l o w
imta emta wa9tach wqtach fo9ach fou9ach mnin mneen chkoun chkon achno ina li lli
bach ila wla m3a 3la 3nd ana nta nti howa hiya homa hna daba rah bghit khassni khass
kayn kayna mzyan bzaf bezzaf ghir hit chi
le la les de des du un une et ou en au aux pour par sur est que qui quoi dans avec
quand comment pourquoi combien quel quelle quels quelles où il ils elle elles on nous
vous je tu ce cet cette ces se sa son ses leur leurs ne pas plus été être avoir ont sont
était faut peut doit dois t s c d j m n qu y
the a an of to in on is are what how when where which for and or do does
who whom whose why was were be been has have had it its this that these those at by from
with as can should i my we you your there
"""
_STOP = frozenset(normalize(w).lower() for w in _STOPWORDS.split())


def _stem_arabic(word: str) -> str:
    ambiguous = 0  # a one-letter prefix may be part of the word: count it for the plural rule
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    else:
        if word[0] in "وفبكل" and len(word) >= 4:
            word, ambiguous = word[1:], 1
    for suffix in _SUFFIXES:
        keep = 4 - ambiguous if suffix in _PLURAL else 2
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
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
