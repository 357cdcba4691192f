"""Extended tiny model -> embeddings stage -> LoRA stage: stage 1 moves only the new rows of the
embedding and head; new rows start as the mean of their old pieces."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agadir.tune.errors import TuneRecipeError
from agadir.tune.recipe import load_tune_recipe
from agadir.tune.run import run_recipe
from agadir.tune.tokenizer.embeddings import init_new_rows, save_extended
from agadir.tune.tokenizer.extend import extend_tokenizer
from tests.tune.conftest import parallel_data


def _lines(shared: Path, label: str, n: int) -> list[str]:
    rows = (shared / "lid" / "train.tsv").read_text(encoding="utf-8").splitlines()
    return [r.split("\t", 1)[1] for r in rows if r.startswith(label + "\t")][:n]


def _extended(tiny: Path, shared: Path, out: Path, tied: bool) -> tuple[Path, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny))
    model = AutoModelForCausalLM.from_pretrained(str(tiny), dtype=torch.float32)
    if tied:
        model.config.tie_word_embeddings = True
        model.tie_weights()
    ext = extend_tokenizer(tok, {"zgh_Tfng": _lines(shared, "zgh_Tfng", 400)}, 40)
    report = init_new_rows(model, tok, ext)
    assert report.fallback == 0 and report.from_pieces == len(ext.new_tokens) > 0
    assert report.tied is tied
    emb: Any = model.get_input_embeddings().weight
    for tid, text in list(ext.new_tokens.items())[:10]:
        pieces = [t.id for t in tok.backend_tokenizer.model.tokenize(text)]
        assert len(pieces) >= 2
        assert torch.allclose(emb[tid], emb[pieces].mean(dim=0))
        if not tied:
            head: Any = model.get_output_embeddings().weight
            assert torch.allclose(head[tid], head[pieces].mean(dim=0))
    save_extended(out, ext, str(tiny), model, report)
    return out, ext


def _corpus(shared: Path, root: Path) -> Path:
    shard = root / "data" / "zgh_Tfng" / "part-0.jsonl"
    shard.parent.mkdir(parents=True)
    lines = _lines(shared, "zgh_Tfng", 200)
    shard.write_text("".join(json.dumps({"text": t}) + "\n" for t in lines), encoding="utf-8")
    return root


@pytest.mark.parametrize("tied", [False, True])
def test_stage_one_moves_only_new_embedding_rows(
    tied: bool, tiny_model: Callable[[str], Path], shared: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM

    folder, ext = _extended(tiny_model("llama"), shared, tmp_path / "ext", tied)
    corpus = _corpus(shared, tmp_path / "corpus")
    out = tmp_path / "run"
    steps = "max_steps: 6\n    learning_rate: 0.05\n    batch_size: 4\n    max_length: 64\n"
    steps += "    eval_steps: 3\n    save_steps: 3\n    early_stop_patience: null"
    # stage 2's prompts fill 64 test-BPE tokens, which would leave no reply in a reply-only loss
    steps += "\n    assistant_only_loss: false"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"name: two-stage\nbase: {folder}\nmethod: lora\ndevice: cpu\noutput: {out}\n"
        f"data:\n{parallel_data(shared, 16)}\n"
        f"embedding_stage:\n  data:\n    - kind: corpus\n      path: {corpus}\n"
        f"  train:\n    {steps}\n"
        f"train:\n  {steps.replace(chr(10) + '    ', chr(10) + '  ')}\n",
        encoding="utf-8",
    )
    summary = run_recipe(load_tune_recipe(recipe), models_dir=None)
    assert summary.steps == 6
    assert (out / "final" / "adapter_config.json").exists()
    saved = load_tune_recipe(out / "recipe.yaml")
    assert Path(saved.base) == out / "stage1" / "final"
    assert (out / "stage1" / "final" / "agadir_extension.json").exists()

    before = AutoModelForCausalLM.from_pretrained(str(folder)).state_dict()
    after = AutoModelForCausalLM.from_pretrained(str(out / "stage1" / "final")).state_dict()
    first_new = ext.base_size
    moved = []
    for name, weight in before.items():
        if name.endswith(("embed_tokens.weight", "lm_head.weight")):
            assert after[name][:first_new].equal(weight[:first_new]), name
            if not after[name][first_new:].equal(weight[first_new:]):
                moved.append(name)
        else:
            assert after[name].equal(weight), f"{name} changed in stage 1"
    expected = (
        {"model.embed_tokens.weight"}
        if tied
        else {
            "model.embed_tokens.weight",
            "lm_head.weight",
        }
    )
    assert expected <= set(moved)


def test_embedding_stage_needs_lora(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: x\nbase: b\nmethod: full\noutput: o\ndata:\n  - kind: chat\n    path: c.jsonl\n"
        "embedding_stage:\n  data:\n    - kind: corpus\n      path: corp\n  bogus: 1\n"
    )
    with pytest.raises(TuneRecipeError, match="allowed here: data, train"):
        load_tune_recipe(recipe)
    recipe.write_text(recipe.read_text().replace("  bogus: 1\n", ""))
    with pytest.raises(TuneRecipeError, match="embedding_stage is stage 1 of a LoRA run"):
        load_tune_recipe(recipe)
