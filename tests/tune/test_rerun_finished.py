"""A rerun of a finished run trains nothing: no step past the end, no new checkpoint.

Before the fix a rerun handed the last checkpoint back to the trainer, whose loop runs one
optimizer step before it checks ``max_steps``: the run went to step 3 of 2 (and an early-stopped
run trained on to ``max_steps``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agadir.tune.errors import TuneRecipeError
from agadir.tune.recipe import load_tune_recipe
from agadir.tune.run import run_recipe
from tests.tune.conftest import steps_recipe


def test_rerun_of_a_finished_run_says_so_and_trains_nothing(
    tiny_model: Callable[[str], Path], shared: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    recipe = steps_recipe(tmp_path / "r.yaml", tiny_model("llama"), shared, out, 16, 2)
    first = run_recipe(load_tune_recipe(recipe), models_dir=None)
    assert first.steps == 2 and not first.already_finished
    adapter = out / "final" / "adapter_model.safetensors"
    written = adapter.stat().st_mtime_ns

    again = run_recipe(load_tune_recipe(recipe), models_dir=None)
    assert again.already_finished
    assert again.steps == 2
    assert again.last_loss == first.last_loss
    assert sorted(p.name for p in (out / "checkpoints").glob("checkpoint-*")) == ["checkpoint-2"]
    assert adapter.stat().st_mtime_ns == written  # final/ untouched

    other = steps_recipe(tmp_path / "other.yaml", tiny_model("llama"), shared, out, 16, 4, 2)
    with pytest.raises(TuneRecipeError, match="finished run of a different recipe"):
        run_recipe(load_tune_recipe(other), models_dir=None)
