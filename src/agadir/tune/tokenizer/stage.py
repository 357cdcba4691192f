"""Stage 1 of a two-stage run: teach the new token rows before LoRA touches the rest.

New rows start as the mean of their old pieces (`embeddings`), which is a guess; LoRA alone
cannot move them (adapters sit on linear layers, not on embedding rows). So stage 1 trains the
input embeddings and the LM head only (`method: embeddings`), on raw target-language text. On a
base written by `agadir tokenizer extend`, a gradient hook zeroes the gradient of every base
row, so base rows stay bit-identical (Adam moves nothing with a zero gradient and the tune
recipes use no weight decay). Stage 2 is the recipe's own LoRA run, from stage 1's model.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from agadir.tune.recipe import TuneRecipe
from agadir.tune.tokenizer.embeddings import MARKER, base_size_of


def freeze_to_embeddings(model: Any, source: Path | str, console: Console) -> None:
    """Only the embedding and head weights learn; only rows past the base's when extended."""
    for param in model.parameters():
        param.requires_grad_(False)
    weights = {id(m.weight): m.weight for m in (model.get_input_embeddings(),)}
    head = model.get_output_embeddings()
    if head is not None:
        weights.setdefault(id(head.weight), head.weight)
    first_new = base_size_of(Path(source)) if isinstance(source, Path) else None
    for weight in weights.values():
        weight.requires_grad_(True)
        if first_new is not None:
            weight.register_hook(lambda grad, n=first_new: _zero_rows_below(grad, n))
    rows = f"rows {first_new}+" if first_new is not None else "all rows"
    console.print(f"stage 1: training {len(weights)} embedding matrix(es), {rows}")


def _zero_rows_below(grad: Any, first: int) -> Any:
    grad = grad.clone()
    grad[:first] = 0
    return grad


def run_embedding_stage(
    recipe: TuneRecipe,
    models_dir: Path | None,
    console: Console,
    run: Callable[..., Any],
) -> TuneRecipe:
    """Train stage 1 into ``output/stage1`` (skipped when finished) and return the stage-2 recipe.

    The returned recipe starts from stage 1's model, so the run's saved ``recipe.yaml`` names
    the base the adapter belongs to (what `tune merge` and export load).
    """
    assert recipe.embedding_stage is not None
    folder = recipe.output / "stage1"
    final = folder / "final"
    if not (folder / "summary.json").exists():
        console.rule("[bold]stage 1: embeddings")
        stage = recipe.model_copy(
            update={
                "method": "embeddings",
                "data": recipe.embedding_stage.data,
                "train": recipe.embedding_stage.train,
                "embedding_stage": None,
                "output": folder,
            }
        )
        run(stage, models_dir, console)
        marker = Path(recipe.base) / MARKER
        if marker.is_file():
            shutil.copy(marker, final / MARKER)
    else:
        console.print(f"stage 1 already finished in {folder}")
    console.rule("[bold]stage 2: LoRA")
    return recipe.model_copy(update={"base": str(final), "embedding_stage": None})
