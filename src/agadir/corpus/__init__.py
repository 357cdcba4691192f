"""Corpus builder on datatrove: Moroccan LID, normalisation, quality, PII, provenance, dedup.

Our steps are ordinary datatrove ``PipelineStep``s, so they compose with datatrove's readers,
writers, MinHash dedup and executors. A recipe (YAML) names inputs, languages, filters, dedup
and output; `build` runs it and writes a datacard. See docs/corpus.md.
"""

from agadir.corpus.errors import CorpusRunError, RecipeError
from agadir.corpus.lid_step import MoroccanLID
from agadir.corpus.normalize_step import NormalizeText, normalize_document_text
from agadir.corpus.pii_step import CorpusPiiMode, MoroccanPII
from agadir.corpus.precision import DarijaPrecision
from agadir.corpus.provenance import Provenance
from agadir.corpus.quality import PerLanguageQuality, QualitySettings, settings_for
from agadir.corpus.reader import SafeReader
from agadir.corpus.recipe import Recipe, load_recipe
from agadir.corpus.runner import RunOptions, build
from agadir.corpus.tally import Tally

__all__ = [
    "CorpusPiiMode",
    "CorpusRunError",
    "DarijaPrecision",
    "MoroccanLID",
    "MoroccanPII",
    "NormalizeText",
    "PerLanguageQuality",
    "Provenance",
    "QualitySettings",
    "Recipe",
    "RecipeError",
    "RunOptions",
    "SafeReader",
    "Tally",
    "build",
    "load_recipe",
    "normalize_document_text",
    "settings_for",
]
