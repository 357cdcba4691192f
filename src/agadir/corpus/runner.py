"""Run a recipe's stages on an executor (local, Ray, Slurm), then write the datacard.

Stages run one after the other; within a stage datatrove spreads tasks over workers. Each
stage has its own logging folder, so a rerun after a crash skips every task that finished
(datatrove's completion markers) and redoes only the rest; the output is the same as an
uninterrupted run because every task's output depends only on its rank and inputs.

The local executor uses ``forkserver`` workers when ``workers > 1``: the caller must be
importable without side effects (``if __name__ == "__main__":``), which the ``agadir`` entry
point and the test-suite are. Slurm runs are submitted with dependencies and return at once;
they need the recipe's ``languages`` (the dedup stages are built per language up front).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from datatrove.executor.base import PipelineExecutor

from agadir.corpus.errors import CorpusRunError, RecipeError
from agadir.corpus.recipe import Recipe
from agadir.corpus.stages import Layout, Stage, dedup_stages, ingest_stage

ExecutorKind = Literal["local", "ray", "slurm"]
Progress = Callable[[str, int, int], None]


@dataclass
class RunOptions:
    """How to run: executor kind, parallelism, and executor-specific settings."""

    executor: ExecutorKind = "local"
    workers: int = 1
    start_method: str = "forkserver"
    slurm_partition: str | None = None
    slurm_time: str = "04:00:00"
    small_stage_bytes: int = 4_000_000
    extra: dict[str, Any] = field(default_factory=dict)


def make_executor(
    stage: Stage, logs: Path, opts: RunOptions, depends: PipelineExecutor | None = None
) -> PipelineExecutor:
    """The datatrove executor for one stage."""
    workers = max(1, min(opts.workers, stage.tasks))
    if opts.executor == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(
            stage.steps,
            tasks=stage.tasks,
            workers=workers,
            logging_dir=str(logs),
            start_method=opts.start_method,
        )
    if opts.executor == "ray":
        try:
            from datatrove.executor.ray import RayPipelineExecutor
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise RecipeError("--executor ray needs ray: pip install 'agadir[corpus]' ray") from exc
        return RayPipelineExecutor(
            stage.steps, tasks=stage.tasks, workers=workers, logging_dir=str(logs), **opts.extra
        )
    if opts.executor == "slurm":
        from datatrove.executor.slurm import SlurmPipelineExecutor

        if not opts.slurm_partition:
            raise RecipeError("--executor slurm needs --partition", param="partition")
        return SlurmPipelineExecutor(
            stage.steps,
            tasks=stage.tasks,
            workers=workers,
            time=opts.slurm_time,
            partition=opts.slurm_partition,
            logging_dir=str(logs),
            job_name=f"agadir-{stage.name.replace('/', '-')}",
            depends=depends,
            **opts.extra,
        )
    raise RecipeError(f"unknown executor {opts.executor!r}; allowed: local, ray, slurm")


def folder_bytes(path: Path) -> int:
    """Bytes of ``path`` (a file) or of the files under it (0 when missing)."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0


def for_size(opts: RunOptions, input_bytes: int) -> RunOptions:
    """Run a stage over little data in-process (local executor only).

    Each local stage with ``workers > 1`` starts a fresh forkserver pool whose workers import
    datatrove, numpy and our models again: about a second per stage, six stages per language.
    Below ``small_stage_bytes`` of input (raw inputs for ingest, ingest work files for a
    language's dedup stages) one core finishes sooner than that start-up, so the stage runs in
    this process. Tasks, ranks and outputs are the same (a task's output depends only on its
    rank), so resume still works.
    """
    if opts.executor != "local" or opts.workers == 1 or input_bytes >= opts.small_stage_bytes:
        return opts
    return replace(opts, workers=1)


def _run_stage(stage: Stage, layout: Layout, opts: RunOptions) -> None:
    executor = make_executor(stage, layout.logs(stage.name), opts)
    try:
        executor.run()
    except Exception as exc:
        raise CorpusRunError(
            f"stage {stage.name} failed ({type(exc).__name__}: {exc}); "
            f"logs in {layout.logs(stage.name)}; rerun the same command to resume"
        ) from exc


def languages_found(layout: Layout) -> list[str]:
    """Languages with ingest output (folder names under work/ingest)."""
    root = layout.ingest()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.jsonl")))


def build(recipe: Recipe, opts: RunOptions, progress: Progress | None = None) -> Path:
    """Run every stage of ``recipe`` and write its datacard; returns the output folder."""
    from agadir.corpus.datacard import write_datacard

    layout = Layout(recipe.output.path)
    layout.root.mkdir(parents=True, exist_ok=True)
    if opts.executor == "slurm":
        return _submit_slurm(recipe, layout, opts)
    report = progress or (lambda _name, _i, _n: None)
    ingest = ingest_stage(recipe, layout)
    report(ingest.name, 0, 1)
    _run_stage(ingest, layout, for_size(opts, sum(folder_bytes(i.path) for i in recipe.inputs)))
    langs = languages_found(layout)
    plan = [
        (s, for_size(opts, folder_bytes(layout.ingest() / lang)))
        for lang in langs
        for s in dedup_stages(recipe, layout, lang, recipe.tasks)
    ]
    for i, (stage, stage_opts) in enumerate(plan, start=1):
        report(stage.name, i, len(plan))
        _run_stage(stage, layout, stage_opts)
    report("datacard", len(plan), len(plan))
    write_datacard(recipe, layout, langs)
    return layout.root


def _submit_slurm(recipe: Recipe, layout: Layout, opts: RunOptions) -> Path:
    """Submit all stages as dependent Slurm job arrays (languages must be listed)."""
    if not recipe.languages:
        raise RecipeError("Slurm runs need `languages:` in the recipe", param="languages")
    previous = make_executor(ingest_stage(recipe, layout), layout.logs("ingest"), opts)
    for lang in recipe.languages:
        for stage in dedup_stages(recipe, layout, lang, recipe.tasks):
            previous = make_executor(stage, layout.logs(stage.name), opts, depends=previous)
    try:
        previous.run()
    except FileNotFoundError as exc:
        raise CorpusRunError("sbatch not found: is this a Slurm login node?") from exc
    return layout.root
