"""Per-language quality settings (FineWeb-2's tuned thresholds) and the filter that applies them.

FineWeb-2 tuned Gopher quality, Gopher repetition and FineWeb quality thresholds per language
(``configs/{lang}.yml``, Apache-2.0): the values we use are packaged (`fineweb2_assets`), or
read from a FineWeb-2 checkout a recipe names.
It has no configuration for Arabizi (``ary_Latn``) or for pan-Berber Latin script
(``ber_Latn``), so those two are *derived* here (see docs/corpus.md):

* ``ary_Latn``: ary_Arab's repetition and line thresholds (they describe document structure, not
  spelling), the Arabizi function words measured on the shared DODa training split as stop
  words (the Arabic-script ones never occur in Latin text, which is why reusing ary_Arab drops
  100% of Arabizi), a wider word-length band (Arabizi writes ``f``, ``l``, ``o`` as words and
  long chat-style words), and no line-punctuation rule (chat-style text rarely ends lines with
  punctuation, as FineWeb-2 itself decided for Tifinagh).
* ``ber_Latn``: the union of Kabyle (``kab_Latn``) and Tachelhit (``shi_Latn``): stop words
  of both, and for each threshold the more permissive of the two, so neither orthography is
  removed by the other's statistics.

Labels without a config of their own borrow the nearest one (``LABEL_SOURCES``); English uses
datatrove's defaults (FineWeb's English pipeline).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.filters.fineweb_quality_filter import FineWebQualityFilter
from datatrove.pipeline.filters.gopher_quality_filter import GopherQualityFilter

from agadir.corpus.errors import RecipeError
from agadir.corpus.fineweb2_assets import packaged_config
from agadir.corpus.repetition import FastGopherRepetition
from agadir.corpus.words import RegexWordTokenizer

#: Measured: the words present in the most DODa training sentences (document frequency 1.6-8%).
ARABIZI_STOPWORDS: tuple[str, ...] = (
    "wach", "o", "dyal", "f", "ghadi", "chi", "ana", "l", "mn", "3la", "walakin", "hadchi",
    "had", "rah", "bach", "bzaf", "kan", "m3a", "daba", "machi", "ila", "li", "w",
)  # fmt: skip

#: Where each label's settings come from: a FineWeb-2 config name, "derived", or "default".
LABEL_SOURCES: dict[str, str] = {
    "ary_Arab": "ary_Arab",
    "arb_Arab": "arb_Arab",
    "arq_Arab": "arb_Arab",
    "arz_Arab": "arb_Arab",
    "fra_Latn": "fra_Latn",
    "spa_Latn": "spa_Latn",
    "eng_Latn": "default",
    "zgh_Tfng": "zgh_Tfng",
    "taq_Tfng": "zgh_Tfng",
    "ary_Latn": "derived",
    "ber_Latn": "derived",
    "taq_Latn": "derived",
}

#: The FineWeb-2 configs the labels read: the sources above and the two ber_Latn derives from.
FINEWEB2_CONFIGS: tuple[str, ...] = (
    "ary_Arab", "arb_Arab", "fra_Latn", "spa_Latn", "zgh_Tfng", "kab_Latn", "shi_Latn",
)  # fmt: skip

#: The keys of a FineWeb-2 config that `QualitySettings` reads (what gets packaged).
FINEWEB2_KEYS: tuple[str, ...] = (
    "stopwords", "min_avg_word_length", "max_avg_word_length", "max_non_alpha_words_ratio",
    "line_punct_thr", "new_line_ratio", "dup_line_frac", "top_n_grams", "dup_n_grams",
)  # fmt: skip


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds of the three datatrove filters for one language (FineWeb-2 names)."""

    source: str
    stopwords: tuple[str, ...] = ()
    min_stop_words: int = 2
    min_doc_words: int = 50
    min_avg_word_length: float = 3
    max_avg_word_length: float = 10
    max_non_alpha_words_ratio: float = 0.8
    line_punct_thr: float = 0.12
    new_line_ratio: float = 0.3
    dup_line_frac: float = 0.3
    top_n_grams: tuple[tuple[int, float], ...] = ((2, 0.2), (3, 0.18), (4, 0.16))
    dup_n_grams: tuple[tuple[int, float], ...] = field(
        default=((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
    )

    def filters(self, language: str) -> list[BaseFilter]:
        """The Gopher repetition, Gopher quality and FineWeb quality filters, in FineWeb order.

        One tokenizer object for the three: datatrove caches ``split_into_words`` per (text,
        tokenizer), so a document is tokenised once, not once per filter."""
        tok = RegexWordTokenizer(language, whitespace=language.endswith("_Tfng"))
        return [
            FastGopherRepetition(
                dup_line_frac=self.dup_line_frac,
                top_n_grams=self.top_n_grams,
                dup_n_grams=self.dup_n_grams,
                language=tok,
            ),
            GopherQualityFilter(
                min_doc_words=self.min_doc_words,
                min_avg_word_length=self.min_avg_word_length,
                max_avg_word_length=self.max_avg_word_length,
                max_non_alpha_words_ratio=self.max_non_alpha_words_ratio,
                min_stop_words=self.min_stop_words if self.stopwords else None,
                stop_words=list(self.stopwords) or None,
                language=tok,
            ),
            FineWebQualityFilter(
                line_punct_thr=self.line_punct_thr,
                new_line_ratio=self.new_line_ratio,
                language=tok,
            ),
        ]


def _pairs(value: Any) -> tuple[tuple[int, float], ...]:
    return tuple((int(n), float(t)) for n, t in value)


def read_fineweb2_config(config_dir: Path, name: str) -> dict[str, Any]:
    """``{config_dir}/{name}.yml`` as FineWeb-2 wrote it."""
    path = config_dir / f"{name}.yml"
    try:
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecipeError(
            f"FineWeb-2 config {path} is not readable ({exc.strerror}); set quality.fineweb2_dir "
            "in the recipe to the folder holding configs/*.yml, or leave it out to use the "
            "thresholds packaged with Agadir",
            param="quality.fineweb2_dir",
        ) from exc
    return raw


def load_fineweb2(config_dir: Path | None, name: str) -> QualitySettings:
    """FineWeb-2's config `name` as `QualitySettings`: from ``{config_dir}/{name}.yml``, or
    from the thresholds packaged with Agadir when `config_dir` is None."""
    raw = packaged_config(name) if config_dir is None else read_fineweb2_config(config_dir, name)
    return QualitySettings(
        source=f"fineweb2:{name}",
        stopwords=tuple(str(w) for w in raw.get("stopwords", ())),
        min_avg_word_length=float(raw["min_avg_word_length"]),
        max_avg_word_length=float(raw["max_avg_word_length"]),
        max_non_alpha_words_ratio=float(raw["max_non_alpha_words_ratio"]),
        line_punct_thr=float(raw["line_punct_thr"]),
        new_line_ratio=float(raw["new_line_ratio"]),
        dup_line_frac=float(raw["dup_line_frac"]),
        top_n_grams=_pairs(raw["top_n_grams"]),
        dup_n_grams=_pairs(raw["dup_n_grams"]),
    )


def _permissive(a: QualitySettings, b: QualitySettings, source: str) -> QualitySettings:
    """Union of two varieties: stop words of both, the looser value of every threshold."""

    def loose(x: tuple[tuple[int, float], ...], y: tuple[tuple[int, float], ...]) -> Any:
        yd = dict(y)
        return tuple((n, max(t, yd.get(n, t))) for n, t in x)

    return QualitySettings(
        source=source,
        stopwords=tuple(dict.fromkeys(a.stopwords + b.stopwords)),
        min_avg_word_length=min(a.min_avg_word_length, b.min_avg_word_length),
        max_avg_word_length=max(a.max_avg_word_length, b.max_avg_word_length),
        # datatrove's name is misleading: it is the *minimum* share of words with a letter.
        max_non_alpha_words_ratio=min(a.max_non_alpha_words_ratio, b.max_non_alpha_words_ratio),
        line_punct_thr=min(a.line_punct_thr, b.line_punct_thr),
        new_line_ratio=max(a.new_line_ratio, b.new_line_ratio),
        dup_line_frac=max(a.dup_line_frac, b.dup_line_frac),
        top_n_grams=loose(a.top_n_grams, b.top_n_grams),
        dup_n_grams=loose(a.dup_n_grams, b.dup_n_grams),
    )


def settings_for(label: str, config_dir: Path | None = None) -> QualitySettings:
    """The settings used for ``label`` (see the module notes for where each comes from);
    `config_dir`: a FineWeb-2 ``configs/`` folder, None for the packaged thresholds."""
    source = LABEL_SOURCES.get(label, "default")
    if source == "default":
        return QualitySettings(source="datatrove-default")
    if source != "derived":
        return load_fineweb2(config_dir, source)
    if label == "ary_Latn":
        base = load_fineweb2(config_dir, "ary_Arab")
        return replace(
            base,
            source="derived:ary_Arab+arabizi-stopwords",
            stopwords=ARABIZI_STOPWORDS,
            min_avg_word_length=2,
            max_avg_word_length=10,
            line_punct_thr=-1,
        )
    kab = load_fineweb2(config_dir, "kab_Latn")
    shi = load_fineweb2(config_dir, "shi_Latn")
    return _permissive(kab, shi, "derived:kab_Latn|shi_Latn")


class PerLanguageQuality(BaseFilter):
    """Routes each document to its language's quality filters; the reason names the rule.

    Reasons look like ``gopher_short_doc`` / ``fineweb_line_punct_ratio`` prefixed with the
    language (``ary_Latn:gopher_below_avg_threshold``) so the datacard can say which rule
    removed what in which language. Documents of a language without settings pass.
    """

    name = "🇲🇦 Per-language quality"

    def __init__(
        self,
        settings: Mapping[str, QualitySettings],
        min_doc_words: int | None = None,
    ) -> None:
        super().__init__()
        self.settings = dict(settings)
        self.min_doc_words = min_doc_words
        self._filters: dict[str, list[BaseFilter]] | None = None

    def _chains(self) -> dict[str, list[BaseFilter]]:
        if self._filters is None:
            chains = {}
            for lang, s in self.settings.items():
                if self.min_doc_words is not None:
                    s = replace(s, min_doc_words=self.min_doc_words)
                chains[lang] = s.filters(lang)
            self._filters = chains
        return self._filters

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        lang = str(doc.metadata.get("language", ""))
        for f in self._chains().get(lang, ()):
            ok = f.filter(doc)
            if isinstance(ok, tuple):
                keep, reason = ok
            else:
                keep, reason = ok, type(f).__name__
            if not keep:
                return False, f"{lang}:{reason}"
        return True
