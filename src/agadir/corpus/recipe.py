"""Recipes: a small YAML file that says what to read, what to keep and where to write.

Validated with pydantic (``extra="forbid"`` everywhere), so a typo is an error that names the
key and the keys allowed there, instead of a silently ignored setting. Relative paths are
resolved against the recipe file's folder, so a recipe travels with its data. Example:
``recipes/demo.yaml``; reference: docs/corpus.md.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agadir.corpus.errors import RecipeError
from agadir.corpus.pii_step import CorpusPiiMode
from agadir.lang.labels import LABELS, UND
from agadir.strict_yaml import load_strict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputSpec(_Strict):
    """One input folder: its format, a glob, and what the recipe declares about its rights."""

    name: str
    path: Path
    format: Literal["jsonl", "csv", "tsv", "text", "parquet", "warc"]
    glob: str | None = None
    text_key: str = "text"
    licence: str = "unknown"
    consent: bool = False
    fallback_encoding: str = "cp1256"


class QualitySpec(_Strict):
    """Per-language quality filters; thresholds come from FineWeb-2 (see `quality`):
    packaged with Agadir, or from the FineWeb-2 checkout `fineweb2_dir` names."""

    enabled: bool = True
    fineweb2_dir: Path | None = None
    min_doc_words: int | None = Field(default=None, ge=0)


class PrecisionSpec(_Strict):
    """FineWeb-2's Darija precision rule (word list + URL pattern) for the listed labels."""

    enabled: bool = True
    languages: list[str] = ["ary_Arab"]
    wordlist: Path | None = None
    min_words: int = Field(default=1, ge=1)


class DedupSpec(_Strict):
    """Exact and MinHash near-duplicate removal, per language."""

    exact: bool = True
    minhash: bool = True
    n_grams: int = Field(default=5, ge=1)
    num_buckets: int = Field(default=14, ge=1)
    hashes_per_bucket: int = Field(default=8, ge=1)


class OutputSpec(_Strict):
    """Where the corpus goes, in which format; one folder per language."""

    path: Path
    format: Literal["jsonl", "parquet"] = "jsonl"


class Recipe(_Strict):
    """A whole corpus build."""

    name: str
    inputs: list[InputSpec] = Field(min_length=1)
    languages: list[str] = Field(default_factory=list)
    min_language_score: float = Field(default=0.5, ge=0.0, le=1.0)
    pii: CorpusPiiMode = CorpusPiiMode.MASK
    normalize: bool = True
    quality: QualitySpec = QualitySpec()
    precision: PrecisionSpec = PrecisionSpec()
    dedup: DedupSpec = DedupSpec()
    output: OutputSpec
    tasks: int = Field(default=4, ge=1)

    @field_validator("languages")
    @classmethod
    def _known_labels(cls, value: list[str]) -> list[str]:
        allowed = (*LABELS, UND)
        for label in value:
            if label not in allowed:
                raise ValueError(f"unknown language {label!r}; allowed: {', '.join(allowed)}")
        return value

    def fingerprint(self) -> str:
        """Short hash of what shapes the content (not where it is written): in every stamp."""
        content = self.model_dump_json(exclude={"output": {"path"}, "tasks": True})
        return hashlib.sha256(content.encode()).hexdigest()[:12]

    def resolve(self, base: Path) -> Recipe:
        """A copy with relative paths made absolute against ``base`` (the recipe's folder)."""

        def fix(p: Path) -> Path:
            return p if p.is_absolute() else (base / p).resolve()

        copy = self.model_copy(deep=True)
        for spec in copy.inputs:
            spec.path = fix(spec.path)
        copy.output.path = fix(copy.output.path)
        if copy.quality.fineweb2_dir is not None:
            copy.quality.fineweb2_dir = fix(copy.quality.fineweb2_dir)
        if copy.precision.wordlist is not None:
            copy.precision.wordlist = fix(copy.precision.wordlist)
        return copy


def load_recipe(path: Path) -> Recipe:
    """Parse and validate a recipe file; `RecipeError` names the key and the allowed values."""
    recipe = load_strict(path, Recipe, RecipeError)
    return recipe.resolve(Path(path).resolve().parent)
