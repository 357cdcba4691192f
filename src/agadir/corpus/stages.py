"""The datatrove pipelines of a recipe: one ingest stage, then dedup stages per language.

Output layout under ``recipe.output.path``::

    work/ingest/{lang}/{rank:05d}.jsonl      filtered, PII-masked, stamped documents (plain)
    work/exact/{lang}/ work/minhash/{lang}/  dedup signatures, buckets, clusters
    removed/{step}/...                       documents removed, with metadata filter_reason
    issues/*.jsonl                           bad input, with file and line
    logs/{stage}/                            datatrove logs, completions, stats.json
    data/{lang}/{rank:05d}.{jsonl.gz|parquet}  the corpus

Every stage is a plain datatrove pipeline, so each executor (local, Ray, Slurm) runs the same
objects and resumes per task: a finished task leaves a completion marker and is skipped on
rerun. No document is removed here without a counted reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.exact_dedup import (
    ExactDedupConfig,
    ExactDedupFilter,
    ExactDedupSignature,
    ExactFindDedups,
)
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.hashing import HashConfig

import agadir
from agadir.corpus.fineweb2_assets import DARIJA_WORDLIST, packaged_path
from agadir.corpus.lid_step import MoroccanLID
from agadir.corpus.normalize_step import NormalizeText
from agadir.corpus.pii_step import MoroccanPII
from agadir.corpus.precision import DarijaPrecision
from agadir.corpus.provenance import Provenance
from agadir.corpus.quality import PerLanguageQuality, settings_for
from agadir.corpus.reader import SafeReader
from agadir.corpus.recipe import Recipe
from agadir.corpus.tally import Tally
from agadir.corpus.words import RegexWordTokenizer
from agadir.lang.labels import LABELS


def exact_key(doc: Document) -> bytes:
    """What exact dedup compares: the normalised, PII-masked text (UTF-8 for xxhash)."""
    return doc.text.encode("utf-8")


# datatrove reads the getter's return annotation to pick a hash function; with postponed
# annotations it would see the string "bytes", so give it the type itself.
exact_key.__annotations__["return"] = bytes


@dataclass(frozen=True)
class Stage:
    """One datatrove pipeline with its task count and logging folder name."""

    name: str
    steps: list[PipelineStep]
    tasks: int


class Layout:
    """Paths of one build (see module notes)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def ingest(self) -> Path:
        return self.root / "work" / "ingest"

    def logs(self, stage: str) -> Path:
        return self.root / "logs" / stage

    def removed(self, step: str) -> str:
        return str(self.root / "removed" / step)

    def issues(self) -> str:
        return str(self.root / "issues")

    def data(self) -> Path:
        return self.root / "data"


def _removed_writer(layout: Layout, step: str) -> DiskWriter:
    return JsonlWriter(layout.removed(step), output_filename="${rank}.jsonl.gz")


def pipeline_version(recipe: Recipe) -> str:
    """``agadir-<version>+<recipe fingerprint>``: stamped on every document."""
    return f"agadir-{agadir.__version__}+{recipe.fingerprint()}"


def readers(recipe: Recipe, layout: Layout) -> list[PipelineStep]:
    """One `SafeReader` per input; each shards its own files across the tasks."""
    return [
        SafeReader(
            str(spec.path),
            spec.format,
            issues_dir=layout.issues(),
            glob_pattern=spec.glob,
            text_key=spec.text_key,
            default_metadata={
                "source": spec.name,
                "licence": spec.licence,
                "consent": spec.consent,
            },
            fallback_encoding=spec.fallback_encoding,
        )
        for spec in recipe.inputs
    ]


def ingest_stage(recipe: Recipe, layout: Layout) -> Stage:
    """Read → normalise → PII → LID → provenance → precision → quality → write per language.

    PII comes before LID so that nothing written anywhere, the `removed/` folders included,
    still carries the identifiers the recipe asked to mask (or drop)."""
    steps: list[PipelineStep] = [*readers(recipe, layout), Tally("read")]
    if recipe.normalize:
        steps.append(NormalizeText())
    lid = MoroccanLID(keep=recipe.languages, min_score=recipe.min_language_score)
    lid.exclusion_writer = _removed_writer(layout, "lid")
    steps += [MoroccanPII(recipe.pii), lid, Tally("lid"), Provenance(pipeline_version(recipe))]
    fineweb2 = recipe.quality.fineweb2_dir  # None: the copy packaged with Agadir
    if recipe.precision.enabled:
        wordlist = recipe.precision.wordlist or (
            fineweb2 / "wordlists" / DARIJA_WORDLIST if fineweb2 else packaged_path(DARIJA_WORDLIST)
        )
        prec = DarijaPrecision(
            wordlist, recipe.precision.languages, min_words=recipe.precision.min_words
        )
        prec.exclusion_writer = _removed_writer(layout, "precision")
        steps.append(prec)
    if recipe.quality.enabled:
        langs = recipe.languages or list(LABELS)
        config_dir = fineweb2 / "configs" if fineweb2 else None
        settings = {lang: settings_for(lang, config_dir) for lang in langs}
        quality = PerLanguageQuality(settings, min_doc_words=recipe.quality.min_doc_words)
        quality.exclusion_writer = _removed_writer(layout, "quality")
        steps.append(quality)
    steps += [
        Tally("filtered"),
        # Work files are read back by the next stages and deleted with the build: gzip cost
        # more CPU than any of our filters (15 s of 57 s on the 20k-doc bench) for no gain.
        JsonlWriter(
            str(layout.ingest()), output_filename="${language}/${rank}.jsonl", compression=None
        ),
    ]
    return Stage("ingest", steps, recipe.tasks)


def _writer(recipe: Recipe, layout: Layout, lang: str) -> DiskWriter:
    folder = str(layout.data() / lang)
    if recipe.output.format == "parquet":
        return ParquetWriter(folder, output_filename="${rank}.parquet")
    return JsonlWriter(folder, output_filename="${rank}.jsonl.gz")


def dedup_stages(recipe: Recipe, layout: Layout, lang: str, tasks: int) -> list[Stage]:
    """Exact then MinHash dedup of one language's ingest output, then the final writer."""
    src = str(layout.ingest() / lang)
    work = layout.root / "work"
    tok = RegexWordTokenizer(lang)

    def read() -> JsonlReader:
        return JsonlReader(src, glob_pattern="*.jsonl", compression=None)

    exact_cfg = ExactDedupConfig(content_getter=exact_key)
    mh_cfg = MinhashConfig(
        n_grams=recipe.dedup.n_grams,
        num_buckets=recipe.dedup.num_buckets,
        hashes_per_bucket=recipe.dedup.hashes_per_bucket,
        hash_config=HashConfig(precision=64),
    )
    ex_dir, mh_dir = work / "exact" / lang, work / "minhash" / lang

    def survivors(upto_minhash: bool) -> list[PipelineStep]:
        """Fresh steps replaying the earlier filters (steps and writers are single-use)."""
        chain: list[PipelineStep] = [read(), Tally("ingested")]
        if recipe.dedup.exact:
            chain += [
                ExactDedupFilter(
                    str(ex_dir / "dups"),
                    exact_cfg,
                    exclusion_writer=_removed_writer(layout, f"exact/{lang}"),
                ),
                Tally("exact_dedup"),
            ]
        if recipe.dedup.minhash and upto_minhash:
            chain += [
                MinhashDedupFilter(
                    str(mh_dir / "remove"),
                    exclusion_writer=_removed_writer(layout, f"near/{lang}"),
                    load_cluster_sizes=True,
                ),
                Tally("near_dedup"),
            ]
        return chain

    stages: list[Stage] = []
    if recipe.dedup.exact:
        sigs, dups = str(ex_dir / "sigs"), str(ex_dir / "dups")
        stages += [
            Stage(f"exact-sig/{lang}", [read(), ExactDedupSignature(sigs, exact_cfg)], tasks),
            Stage(f"exact-find/{lang}", [ExactFindDedups(sigs, dups, exact_cfg)], 1),
        ]
    if recipe.dedup.minhash:
        sigs, buckets, remove = (str(mh_dir / d) for d in ("sigs", "buckets", "remove"))
        sig = MinhashDedupSignature(sigs, config=mh_cfg, language=tok)
        cluster = MinhashDedupCluster(buckets, remove, config=mh_cfg, save_cluster_size=True)
        stages += [
            Stage(f"minhash-sig/{lang}", [*survivors(False), sig], tasks),
            Stage(
                f"minhash-buckets/{lang}",
                [MinhashDedupBuckets(sigs, buckets, config=mh_cfg)],
                mh_cfg.num_buckets,
            ),
            Stage(f"minhash-cluster/{lang}", [cluster], 1),
        ]
    stages.append(Stage(f"write/{lang}", [*survivors(True), _writer(recipe, layout, lang)], tasks))
    return stages
