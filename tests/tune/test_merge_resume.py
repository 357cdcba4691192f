"""A merged LoRA model equals base + adapter; a run killed mid-way resumes to the same end."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from agadir.tune.merge import adapted_model, merged_model
from agadir.tune.recipe import load_tune_recipe
from agadir.tune.run import run_recipe
from tests.tune.conftest import ROOT, steps_recipe

# Trains as the recipe says and SIGKILLs itself right after the first checkpoint is written.
KILLER = """
import os, signal, sys
from pathlib import Path
from transformers import TrainerCallback
from agadir.tune.recipe import load_tune_recipe
from agadir.tune.run import run_recipe

class KillAfterSave(TrainerCallback):
    def on_save(self, args, state, control, **kw):
        os.kill(os.getpid(), signal.SIGKILL)

run_recipe(load_tune_recipe(Path(sys.argv[1])), models_dir=None, callbacks=[KillAfterSave()])
"""


@pytest.fixture(scope="module")
def finished_run(
    tiny_model: Callable[[str], Path], shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    folder = tmp_path_factory.mktemp("merge")
    recipe = steps_recipe(folder / "r.yaml", tiny_model("llama"), shared, folder / "run", 16, 6)
    run_recipe(load_tune_recipe(recipe), models_dir=None)
    return folder / "run"


def test_merged_logits_equal_base_plus_adapter(finished_run: Path, tokenizer: object) -> None:
    import torch

    ids = tokenizer("ⵜⴰⵎⴰⵣⵉⵖⵜ wach nta mzyan? Bonjour à tous", return_tensors="pt")  # type: ignore[operator]
    with torch.no_grad():
        reference = adapted_model(finished_run, None)(**ids).logits
        merged = merged_model(finished_run, None)(**ids).logits
    assert not hasattr(merged_model(finished_run, None), "peft_config")
    torch.testing.assert_close(merged, reference, atol=1e-4, rtol=1e-4)  # float32 sum order only


def test_killed_run_resumes_to_the_same_step_count(
    tiny_model: Callable[[str], Path], shared: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    recipe = steps_recipe(tmp_path / "r.yaml", tiny_model("llama"), shared, out, 32, 8, 4)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    killed = subprocess.run([sys.executable, "-c", KILLER, str(recipe)], env=env, timeout=600)
    assert killed.returncode == -9  # died by SIGKILL after writing checkpoint-4
    assert (out / "checkpoints" / "checkpoint-4").is_dir()
    assert not (out / "final").exists()
    summary = run_recipe(load_tune_recipe(recipe), models_dir=None)
    assert summary.resumed_from is not None and summary.resumed_from.endswith("checkpoint-4")
    assert summary.steps == 8
    assert (out / "final" / "adapter_config.json").exists()
