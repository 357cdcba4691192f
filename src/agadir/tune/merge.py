"""Fold a finished LoRA run's adapter into its base: one plain model, as export needs it.

The base is loaded again from the run's resolved ``recipe.yaml`` (so a GGUF base is
de-quantized the same way it was for training); ``full`` / ``cpt`` runs already hold a whole
model in ``final/`` and load as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agadir.tune.errors import TuneRecipeError
from agadir.tune.recipe import TuneRecipe


def run_recipe_of(run: Path) -> TuneRecipe:
    """The resolved recipe a run was trained with."""
    path = run / "recipe.yaml"
    if not (run / "final").is_dir() or not path.exists():
        raise TuneRecipeError(f"{run} is not a finished tune run (no final/ or recipe.yaml)")
    return TuneRecipe.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def adapted_model(run: Path, models_dir: Path | None) -> Any:
    """Base + adapter, unmerged (a PEFT model): the reference the merged model must equal."""
    from peft import PeftModel

    from agadir.tune.base import load_base

    recipe = run_recipe_of(run)
    base = load_base(recipe.base, models_dir)
    return PeftModel.from_pretrained(base.model, str(run / "final")).eval()


def merged_model(run: Path, models_dir: Path | None) -> Any:
    """The run's weights as one plain transformers model (adapter folded in when LoRA)."""
    recipe = run_recipe_of(run)
    if recipe.method in ("full", "cpt"):
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(str(run / "final")).eval()
    return adapted_model(run, models_dir).merge_and_unload().eval()
