"""Arabizi (Latin-script Darija) -> Arabic script: lexicon first, then rules + an LM ranker.

A word or set phrase found in the lexicon (`translit_lexicon`: learned from DODa's Arabizi and
Arabic-script Darija text, plus a short hand-written seed) takes its lexicon spelling. Any other
Latin word is read left to right; at every position the rules below offer Arabic spellings
(``3`` -> ع, ``ch`` -> ش, a vowel -> a long-vowel letter or nothing, ``g`` -> ڭ/ج/ك ...). A
beam search keeps the spellings that an Arabic-script Darija character LM (`charlm.CharLM`)
likes best, plus a small log-prior per rule that encodes DODa's conventions; the finished
spellings then get the lexicon's word prior (Darija writers' spellings win over unseen ones).
Words are transliterated independently; the sentence candidates are the best combinations.
Non-Latin tokens (Arabic, digits alone, punctuation) pass through unchanged, and with
``keep_latin=True`` so do French/English words (taxi, wifi), as Moroccans write them.
"""

from __future__ import annotations

import heapq
import re
from functools import lru_cache
from importlib import resources
from itertools import product

from agadir.lang.charlm import BOUNDARY, CharLM
from agadir.lang.errors import LangInputError, LangModelError
from agadir.lang.translit_lexicon import MAX_PHRASE, PLAIN_LETTERS, Lexicon, load_lexicon

_ARTEFACT = "translit_lm.npz"
BEAM = 12
#: Weight of the LM against the rule priors (tuned on the DODa dev pairs).
LM_WEIGHT = 0.1
#: Log-prior of writing nothing for a single vowel between two consonants (a short vowel).
#: Chosen with LM_WEIGHT on a coarse grid (-1.5, -1, -0.5, 0) x (0.05, 0.1, 0.2, 0.3) on the
#: DODa dev pairs: the only two numbers fitted there.
SHORT_VOWEL_DROP = -0.5
MAX_WORD = 40
#: Weight of the lexicon's word prior (``1 + log(1 + count)`` for known Arabic spellings).
PRIOR_WEIGHT = 1.0
#: The prior only reorders spellings within this many nats of the best rule reading: it breaks
#: near-ties (ة or ا at the end, a vowel letter or none) and never overrides clear letter
#: evidence (a common short word must not swallow a longer reading).
PRIOR_MARGIN = 0.6
#: French spelling that Arabizi does not use: a word with one of these is French.
_FRENCH = re.compile(r"[éèêëàâçùûôîï]|eau|tion$|^ph|[^s]ph")

# (latin, [(arabic, log-prior), ...]); longest keys are tried first at each position.
_RULES: dict[str, list[tuple[str, float]]] = {
    "tch": [("تش", 0.0)],
    "ch": [("ش", 0.0)], "sh": [("ش", 0.0)], "kh": [("خ", 0.0)], "gh": [("غ", 0.0)],
    "th": [("ث", -1.0), ("ت", -0.5)], "dj": [("ج", 0.0)], "ou": [("و", 0.0)],
    "oo": [("و", 0.0)], "ee": [("ي", 0.0)], "aa": [("ا", 0.0)],
    "ai": [("اي", 0.0)], "ay": [("اي", 0.0)],
    "2": [("ء", 0.0), ("أ", 0.0)], "3": [("ع", 0.0)], "5": [("خ", 0.0)], "7": [("ح", 0.0)],
    "8": [("ه", 0.0), ("غ", -1.0)], "9": [("ق", 0.0)],
    "a": [("ا", 0.0), ("", -1.5)],
    "e": [("", 0.0), ("ي", -0.7), ("ة", -2.0)],
    "i": [("ي", 0.0), ("", -2.0)], "y": [("ي", 0.0)],
    "o": [("و", 0.0), ("", -2.5)], "u": [("و", 0.0), ("", -2.5)],
    "b": [("ب", 0.0)], "p": [("پ", -0.5), ("ب", 0.0)], "t": [("ت", 0.0), ("ط", -2.0)],
    "T": [("ط", 0.0)], "d": [("د", 0.0), ("ض", -2.5)], "D": [("ض", 0.0)],
    "s": [("س", 0.0), ("ص", -2.5)], "S": [("ص", 0.0)], "z": [("ز", 0.0), ("ظ", -3.0)],
    "Z": [("ظ", 0.0)], "H": [("ح", 0.0)], "h": [("ه", 0.0), ("ح", -1.5)],
    "f": [("ف", 0.0)], "v": [("ڤ", -0.5), ("ف", -0.3)], "q": [("ق", 0.0)],
    "k": [("ك", 0.0)], "c": [("ك", 0.0), ("س", -1.5)], "g": [("ڭ", 0.0), ("ج", -1.0), ("ك", -2.0)],
    "j": [("ج", 0.0)], "l": [("ل", 0.0)], "m": [("م", 0.0)], "n": [("ن", 0.0)],
    "r": [("ر", 0.0)], "w": [("و", 0.0)], "x": [("كس", 0.0)], "-": [("-", 0.0)],
    "'": [("", 0.0), ("ء", -1.0)],
}  # fmt: skip
#: DODa's Arabic-script conventions for loanword letters: ``p`` پ, ``v`` ڤ (``plage`` پلاج,
#: ``lavabo`` لاڤابو), ``ck`` one ك, ``c`` before ``e i y`` س (French spelling: ``cinema``).
#: The LM cannot rank these letters (its Darija text writes پ ڤ ڭ almost never: 0, 4 and 21
#: times in 0.6 M letters), so it scores them as their plain letters (`_LM_FOLD`) and the
#: rule prior alone chooses. The rule set before this (``_RULES``) is kept for the LID text.
_DODA_RULES: dict[str, list[tuple[str, float]]] = {
    **_RULES,
    "p": [("پ", 0.0), ("ب", -0.5)],
    "v": [("ڤ", 0.0), ("ف", -0.5)],
    "ck": [("ك", 0.0)],
}
_SOFT_C: list[tuple[str, float]] = [("س", 0.0), ("ك", -1.5)]
#: A final ``-ge`` is French (``plage`` پلاج, ``garage``): ج, like ``j``.
_FRENCH_GE: list[tuple[str, float]] = [("ج", 0.0), ("ڭ", -1.5)]
#: An Arabic word never starts with an unwritten vowel: an initial ``e`` is carried by an alef
#: (``electrique`` إليكتريك). An initial ``o`` is most often the conjunction و (``o``, ``ola``
#: ولا, ``oghadi`` وغادي: the commonest o-words of the DODa train sentences), else an alef
#: (``omor`` أمور); ``ou`` is و, and an initial ``i`` keeps its rule (mostly the verb prefix
#: ي: ``iji`` يجي, ``i9dr`` يقدر).
_INITIAL_VOWEL: dict[str, list[tuple[int, str, float]]] = {
    "e": [(1, "إ", 0.0), (1, "ا", -0.5), (1, "إي", -1.0)],
    "o": [(1, "و", 0.0), (1, "أ", -0.3), (1, "أو", -0.6)],
}
#: What the LM sees instead of letters its training text does not write.
_LM_FOLD = PLAIN_LETTERS
#: Log-prior bonus of the article reading of an initial doubled sun letter in a word of 4+
#: letters (``ttomobil`` الطوموبيل, ``jjbel`` الجبل): DODa writes the assimilated article so,
#: and the plain reading of the same letters is a gemination nobody writes. Shorter words are
#: left to the LM (``tta`` حتى is no article), and so are two cases where the letters are not
#: the article (held-out TRAIN words, `bench/bench_translit_heldout.py`): ``ll`` is mostly
#: لل "to the" (``llbit`` للبيت), ``tt`` before a consonant a verb prefix (``ttmt3`` تتمتع).
ARTICLE_BONUS = 1.0


def _article_bonus(word: str, at: int) -> float:
    """`ARTICLE_BONUS` for the doubled letter at ``word[at]``, or 0 where it is no article."""
    letter, after = word[at].lower(), word[at + 2 : at + 3].lower()
    if len(word) <= 3 or letter == "l" or (letter == "t" and after not in _VOWELS):
        return 0.0
    return ARTICLE_BONUS


def _keys_by_first(rules: dict[str, list[tuple[str, float]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in sorted(rules, key=len, reverse=True):
        out.setdefault(key[0], []).append(key)
    return out


_KEYS_BY_FIRST = _keys_by_first(_RULES)
_DODA_KEYS_BY_FIRST = _keys_by_first(_DODA_RULES)
_SUN_LETTERS = set("tTdDsSzZrnlcj")
_EMPHATICS = set("TDSZH")
_VOWELS = set("aeiouy")
_TOKEN = re.compile(r"[A-Za-zÀ-ÿ0-9'\-]*[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9'\-]*|[0-9]+|\S")


@lru_cache(maxsize=1)
def load_lm() -> CharLM:
    """The Arabic-script Darija character LM, loaded once per process."""
    try:
        ref = resources.files("agadir.lang").joinpath(_ARTEFACT)
        with resources.as_file(ref) as path:
            return CharLM.load(path)
    except (OSError, KeyError, ValueError) as exc:
        raise LangModelError(
            f"transliteration LM {_ARTEFACT} is missing or corrupt ({exc}); "
            "rebuild it with `python scripts/build_translit_lm.py`."
        ) from exc


def _word_candidates(
    word: str, n: int, lm: CharLM, lexicon: Lexicon | None = None
) -> list[tuple[str, float]]:
    """Best ``n`` (spelling, score) of one Latin word: lexicon entry first, then rule readings.

    Without a lexicon this is the pure character model (what the lexicon is built from).
    """
    scored = _rule_candidates(word, lm)
    if lexicon is not None:
        scored = rescore(scored, lexicon)
        known = lexicon.lookup(word)
        if known is not None:
            top = scored[0][1] if scored else 0.0
            scored = [(known, top + 1.0), *[kv for kv in scored if kv[0] != known]]
    return scored[:n] or [(word, 0.0)]


def rescore(scored: list[tuple[str, float]], lexicon: Lexicon) -> list[tuple[str, float]]:
    """Word prior on the spellings within `PRIOR_MARGIN` of the best that differ from it only
    in the final letter (ة / ا / none); best first.

    That ending is where letter rules and the character LM are weakest (``sa3a`` ساعة, ``kora``
    كورة or كورا), and where a known word decides well. Applied more widely (vowel letters, the
    assimilated article) the prior preferred frequent short words to the letters the writer
    typed (``motor`` -> متر) and lost exact matches on the dev pairs.
    """
    if not scored:
        return scored
    floor = scored[0][1] - PRIOR_MARGIN
    stem = scored[0][0].rstrip("ةا")
    out = [
        (ar, sc + PRIOR_WEIGHT * lexicon.prior(ar))
        if sc >= floor and ar.rstrip("ةا") == stem
        else (ar, sc)
        for ar, sc in scored
    ]
    out.sort(key=lambda kv: -kv[1])
    return out


def _rule_candidates(word: str, lm: CharLM, tanwin: bool = True) -> list[tuple[str, float]]:
    """Every finished beam spelling of one Latin word with its rule + LM score, best first.

    ``tanwin=False`` is the rule set before the final ``-an`` -> ا reading and DODa's letter
    conventions (`_DODA_RULES`, `ARTICLE_BONUS`, one letter for a doubled digit) were added:
    the LID training text (`scripts/lid_data.py`) was transliterated with it.
    """
    # Collapse tripled letters; keep case (capitals mark emphatics in DODa's convention), but
    # a word in capitals only is shouting or an acronym, not a row of emphatics.
    word = re.sub(r"(.)\1{2,}", r"\1\1", word)[:MAX_WORD]
    if tanwin and len(word) > 1 and word.isupper():
        word = word.lower()
    elif tanwin:  # only the emphatics have capital readings: "Oh" is "oh"
        word = "".join(c if c in _EMPHATICS else c.lower() for c in word)
    rules, keys_by_first = (
        (_DODA_RULES, _DODA_KEYS_BY_FIRST) if tanwin else (_RULES, _KEYS_BY_FIRST)
    )
    fold = _LM_FOLD if tanwin else None
    starts: list[tuple[str, int, float]] = [("", 0, 0.0)]
    if len(word) > 2 and word[0] == word[1] and word[0] in _SUN_LETTERS:
        # Assimilated article: "rrmla" -> الرملة.
        bonus = _article_bonus(word, 0) if tanwin else 0.0
        starts.append(("ال" + rules[word[0]][0][0], 2, bonus))
    elif (
        tanwin and len(word) > 4 and word[0] in "ae" and word[1] == word[2] in _SUN_LETTERS - {"n"}
    ):
        # The same article with its vowel written: "attawazon" -> التوازن, "essalam" -> السلام
        # (not "ann-": أنّ + pronoun, "annak" أنك).
        starts.append(("ال" + rules[word[1]][0][0], 3, _article_bonus(word, 1)))
    # beams[pos] = {arabic: score}
    beams: list[dict[str, float]] = [{} for _ in range(len(word) + 1)]
    for arabic, pos, prior in starts:
        history = BOUNDARY + _fold(arabic, fold)
        lm_score = sum(lm.logprob(history[i], history[:i]) for i in range(1, len(history)))
        beams[pos][arabic] = prior + LM_WEIGHT * lm_score
    for pos in range(len(word)):
        if not beams[pos]:
            continue
        best = heapq.nlargest(BEAM, beams[pos].items(), key=lambda kv: kv[1])
        expansions = _expansions(word, pos, rules, keys_by_first, tanwin)
        folded = [(step, ar, _fold(ar, fold), prior) for step, ar, prior in expansions]
        for arabic, score in best:
            context = BOUNDARY + _fold(arabic, fold)
            for step, ar, ar_folded, prior in folded:
                history = context
                gain = prior
                for c in ar_folded:
                    gain += LM_WEIGHT * lm.logprob(c, history)
                    history += c
                nxt = arabic + ar
                target = beams[pos + step]
                if target.get(nxt, -1e18) < score + gain:
                    target[nxt] = score + gain
    final = [
        (arabic, score + LM_WEIGHT * lm.logprob(BOUNDARY, BOUNDARY + _fold(arabic, fold)))
        for arabic, score in beams[len(word)].items()
        if arabic
    ]
    final.sort(key=lambda kv: -kv[1])
    return final


def _fold(text: str, table: dict[int, int] | None) -> str:
    return text.translate(table) if table else text


def _expansions(
    word: str,
    pos: int,
    rules: dict[str, list[tuple[str, float]]],
    keys_by_first: dict[str, list[str]],
    doda: bool,
) -> list[tuple[int, str, float]]:
    """(Latin letters used, Arabic spelling, log-prior) readings of ``word`` at ``pos``."""
    ch = word[pos]
    keys = [k for k in keys_by_first.get(ch, []) if word.startswith(k, pos)]
    if doda and keys[:1] == ["gh"]:
        # Always غ: the LM scores ڭ as ك (`_LM_FOLD`), and ڭ + ه would often beat it.
        keys = ["gh"]
    if not keys and ch.lower() != ch:
        keys = [k for k in keys_by_first.get(ch.lower(), []) if word.startswith(k, pos)]
        keys = [k.upper() if k == ch.lower() else k for k in keys]
    expansions: list[tuple[int, str, float]] = []
    for key in keys:
        options = rules.get(key) or rules[key.lower()]
        if doda and key == "c" and word[pos + 1 : pos + 2].lower() in ("e", "i", "y"):
            options = _SOFT_C
        elif doda and key == "g" and pos == len(word) - 2 and word[-1] == "e":
            options = _FRENCH_GE
        expansions.extend((len(key), ar, pr) for ar, pr in options)
    if not expansions:
        expansions = [(1, ch, -5.0)]
    if doda and pos == 0 and ch in _INITIAL_VOWEL and not word.startswith("ou"):
        expansions = _INITIAL_VOWEL[ch]
    if doda and ch == "2":
        expansions = _hamza_seats(word, pos)
    if _is_short_vowel(word, pos):
        expansions = [
            (step, ar, SHORT_VOWEL_DROP if step == 1 and not ar else pr)
            for step, ar, pr in expansions
        ]
    if pos == len(word) - 1 and ch == "a":
        expansions = [(1, "ة", -0.2), (1, "ا", -0.2), (1, "", -2.0)]
    if doda and pos == len(word) - 2 and word[pos:].lower() == "an" and pos > 1:
        expansions.append((2, "ا", -1.5))  # tanwin: "chokran" -> شكراً
    # A doubled consonant is one letter (gemination is a shadda, which is not written); DODa
    # doubles the digit letters too (``l33ab`` لعاب).
    doubled = ch.isalnum() if doda else ch.isalpha()
    if pos > 0 and word[pos - 1] == ch and doubled and ch.lower() not in "aeiou":
        expansions.append((1, "", -0.1))
    return expansions


#: Leading letters after which a ``2`` starts the stem: the article or ``l-`` "to, for".
_ARTICLES = frozenset({"l", "al", "el", "ll", "lil", "lel"})


def _hamza_seats(word: str, pos: int) -> list[tuple[int, str, float]]:
    """Readings of a ``2`` (hamza): its seat follows the vowels around it, as Arabic spells it.

    ``i`` before or after seats it on ي (``ra2is`` رئيس, ``bi2a`` بيئة), ``o`` or ``u`` on و
    (``so2al`` سؤال, ``mas2oul`` مسؤول), one that starts the word or follows a leading article
    or ``l-`` on an alef (``2insan`` إنسان, ``l2injil`` لإنجيل, ``l2amr`` لأمر); elsewhere ء and
    أ are left to the LM, with ئ after a long ``a`` (``jaza2ir`` جزائر) as a third reading.
    ``e`` is no kasra in DODa's spelling (``mt2ekked`` متأكد).
    """
    before = word[pos - 1 : pos].lower()
    after = word[pos + 1 : pos + 2].lower()
    if pos == 0 or word[:pos].lower() in _ARTICLES:
        return [(1, "إ", 0.0), (1, "أ", -1.0)] if after == "i" else [(1, "أ", 0.0), (1, "ء", -1.0)]
    if pos == len(word) - 1:
        return [(1, "ء", 0.0), (1, "أ", 0.0), *([(1, "ئ", -0.5)] if before == "i" else [])]
    if "i" in (before, after):
        return [(1, "ئ", 0.0), (1, "ء", -1.0), (1, "أ", -1.0)]
    if before in ("o", "u") or after in ("o", "u"):
        return [(1, "ؤ", 0.0), (1, "ء", -1.0), (1, "أ", -1.0)]
    return [(1, "ء", 0.0), (1, "أ", 0.0), *([(1, "ئ", -0.5)] if before == "a" else [])]


def _is_short_vowel(word: str, pos: int) -> bool:
    """A lone ``a e i o u`` with a consonant on each side (``3olba``: o) is usually not written."""
    if not 0 < pos < len(word) - 1 or word[pos] not in "aiou":
        return False
    before, after = word[pos - 1].lower(), word[pos + 1].lower()
    return before.isalnum() and after.isalnum() and before not in _VOWELS and after not in _VOWELS


def arabizi_to_arabic(
    text: str, n: int = 1, *, keep_latin: bool = False
) -> list[tuple[str, float]]:
    """Up to ``n`` Arabic-script readings of Arabizi ``text``, best first, with log-scores.

    ``keep_latin`` leaves French/English words (taxi, wifi, téléphone) in Latin script.
    """
    if not isinstance(text, str):
        raise LangInputError(f"expected str, got {type(text).__name__}", param="text")
    if n < 1:
        raise LangInputError("n must be >= 1", param="n")
    lm = load_lm()
    lexicon = load_lexicon()
    tokens = _TOKEN.findall(text)
    pieces: list[list[tuple[str, float]]] = []
    i = 0
    while i < len(tokens):
        phrase = _phrase_at(tokens, i, lexicon)
        if phrase:
            words = [_word_candidates(t, n, lm, lexicon) for t in tokens[i : i + phrase[1]]]
            alternatives = [kv for kv in _combine(words, n) if kv[0] != phrase[0]]
            top = max([s for _, s in alternatives], default=0.0)
            pieces.append([(phrase[0], top + 1.0), *alternatives][:n])
            i += phrase[1]
            continue
        tok = tokens[i]
        i += 1
        latin = any("a" <= c.lower() <= "z" for c in tok)
        if not latin or (keep_latin and _is_foreign(tok, lexicon)):
            pieces.append([(tok, 0.0)])
        else:
            pieces.append(_word_candidates(tok, n, lm, lexicon))
    return _combine(pieces, n) if pieces else [("", 0.0)]


def _combine(pieces: list[list[tuple[str, float]]], n: int) -> list[tuple[str, float]]:
    """The ``n`` best space-joined combinations of per-piece candidates (sum of scores)."""
    combos = heapq.nlargest(
        n,
        product(*[p[:n] for p in pieces])
        if _n_combos(pieces, n) <= 4096
        else [tuple(p[0] for p in pieces)],
        key=lambda combo: sum(s for _, s in combo),
    )
    return [(" ".join(w for w, _ in combo), sum(s for _, s in combo)) for combo in combos]


def _phrase_at(tokens: list[str], i: int, lexicon: Lexicon) -> tuple[str, int] | None:
    """Longest lexicon phrase of 2+ words starting at token ``i``: (spelling, words used)."""
    for size in range(min(MAX_PHRASE, len(tokens) - i), 1, -1):
        hit = lexicon.lookup(" ".join(tokens[i : i + size]))
        if hit is not None:
            return hit, size
    return None


def _is_foreign(word: str, lexicon: Lexicon) -> bool:
    """A French/English word as Moroccans write it: listed, or spelt the French way."""
    low = word.lower()
    return low in lexicon.latin or bool(_FRENCH.search(low))


def _n_combos(pieces: list[list[tuple[str, float]]], n: int) -> int:
    total = 1
    for p in pieces:
        total *= min(len(p), n)
    return total
