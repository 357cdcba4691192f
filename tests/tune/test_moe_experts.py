"""MoE LoRA: adapters land on the experts' fused weights as well as attention, and training
moves the experts (a tiny random Mixtral, 4 experts, 2 active)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agadir.tune.errors import TuneRecipeError
from agadir.tune.lora_targets import expert_parameters, lora_config
from agadir.tune.merge import adapted_model, merged_model
from agadir.tune.recipe import LoraSpec, load_tune_recipe
from agadir.tune.run import run_recipe
from tests.tune.conftest import parallel_data, write_recipe
from tests.tune.test_export_cli import tiny_mixtral

EXPERTS = ["experts.down_proj", "experts.gate_up_proj"]


@pytest.fixture(scope="module")
def mixtral(tmp_path_factory: pytest.TempPathFactory, tokenizer: object) -> Path:
    return tiny_mixtral(tmp_path_factory.mktemp("mixtral"), tokenizer)


def test_expert_weights_are_found_and_dense_models_have_none(
    mixtral: Path, tiny_model: Callable[[str], Path]
) -> None:
    from transformers import AutoModelForCausalLM

    moe = AutoModelForCausalLM.from_pretrained(mixtral)
    assert expert_parameters(moe) == EXPERTS
    assert expert_parameters(AutoModelForCausalLM.from_pretrained(tiny_model("llama"))) == []
    config = lora_config(LoraSpec(), moe)
    assert sorted(config.target_parameters) == EXPERTS and config.lora_dropout == 0.0
    assert lora_config(LoraSpec(experts=False), moe).target_parameters is None
    with pytest.raises(TuneRecipeError, match=r"lora\.dropout 0\.1 cannot apply to expert"):
        lora_config(LoraSpec(dropout=0.1), moe)


def test_lora_trains_the_experts_and_merges_exactly(
    mixtral: Path, shared: Path, tmp_path: Path
) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    out = tmp_path / "run"
    recipe = write_recipe(
        tmp_path / "r.yaml", mixtral, parallel_data(shared, 16), out, max_steps=4, save_steps=4
    )
    summary = run_recipe(load_tune_recipe(recipe), models_dir=None)
    assert summary.steps == 4

    adapted = adapted_model(out, None)
    lora_b = {n: p for n, p in adapted.named_parameters() if "lora_B" in n}
    for layer in (0, 1):
        for target in ("self_attn.q_proj", "mlp.experts"):
            prefix = f"model.layers.{layer}.{target}."
            found = [p for n, p in lora_b.items() if prefix in n]
            assert found, f"no adapter under {prefix}: {sorted(lora_b)[:6]}"
            assert all(p.abs().sum() > 0 for p in found)  # B starts at zero: training moved it
    assert sum("experts" in n for n in lora_b) == 2 * len(EXPERTS)  # 2 layers × 2 fused weights

    base = AutoModelForCausalLM.from_pretrained(mixtral).eval()
    merged = merged_model(out, None)
    base_weights = dict(base.named_parameters())
    for name, weight in merged.named_parameters():
        if name.endswith(tuple(EXPERTS)):
            assert not torch.allclose(weight, base_weights[name]), name  # experts changed
    ids = torch.tensor([[5, 17, 42, 99, 7, 3]])
    with torch.no_grad():
        torch.testing.assert_close(merged(ids).logits, adapted(ids).logits, atol=1e-4, rtol=1e-4)
        assert not torch.allclose(merged(ids).logits, base(ids).logits)
