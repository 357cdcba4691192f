"""A run's ``summary.json``, and what a rerun of a finished run does.

``summary.json`` is written last, after ``final/``: its presence is what marks a run finished
(stage 1 of a two-stage run uses the same marker). A rerun of a finished run must not hand the
last checkpoint back to the trainer: transformers' loop runs at least one optimizer step before
it checks ``max_steps``, so resuming from a checkpoint already at the end trains past it, and an
early-stopped run would resume training with a fresh patience counter, up to ``max_steps``. On
a 135 M model on a loaded CPU that extra work looks like a hang in ``backward()``. So a rerun of
the same recipe reports the finished run and returns; a different recipe aimed at a finished
run's folder is an error naming the fix (another ``output``, or delete the folder).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from agadir.tune.errors import TuneRecipeError

# Keys that may differ between two runs of the same training (where it runs, not what it learns).
IGNORED_ON_RERUN = ("device",)


@dataclass
class RunSummary:
    steps: int
    train_loss: float | None
    eval_loss: float | None
    first_loss: float | None
    last_loss: float | None
    tokens_per_s: float
    wall_s: float
    resumed_from: str | None
    stopped_early: bool
    output: str
    already_finished: bool = False  # True when this call found the run finished and trained nothing

    def write(self, out: Path) -> None:
        saved = {k: v for k, v in asdict(self).items() if k != "already_finished"}
        (out / "summary.json").write_text(json.dumps(saved, indent=2), encoding="utf-8")


def _training_keys(recipe_yaml: str) -> dict[str, Any]:
    data = yaml.safe_load(recipe_yaml) or {}
    return {k: v for k, v in data.items() if k not in IGNORED_ON_RERUN}


def finished_summary(out: Path, recipe_yaml: str) -> RunSummary | None:
    """The summary of the finished run in ``out``, or None when ``out`` holds no finished run.

    Raises `TuneRecipeError` when ``out`` holds a finished run of another recipe.
    """
    summary_path, saved_recipe = out / "summary.json", out / "recipe.yaml"
    if not (summary_path.is_file() and (out / "final").is_dir()):
        return None
    if saved_recipe.is_file() and _training_keys(saved_recipe.read_text("utf-8")) != (
        _training_keys(recipe_yaml)
    ):
        raise TuneRecipeError(
            f"{out} holds a finished run of a different recipe ({saved_recipe}); set another "
            "`output` in the recipe, or delete that folder to train again"
        )
    data = json.loads(summary_path.read_text("utf-8"))
    known = {f.name for f in fields(RunSummary)}
    summary = RunSummary(**{k: v for k, v in data.items() if k in known})
    summary.already_finished = True
    return summary
