"""Loss on assistant turns only: the mask covers exactly the replies, TRL turns it into label
-100, and the model's loss is then the mean over the assistant tokens alone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agadir.tune.assistant_mask import masked_example, masked_examples
from agadir.tune.errors import TuneDataError

CHAT = [
    {"role": "system", "content": "Jawb b darija."},
    {"role": "user", "content": "Translate into Tifinagh: salam"},
    {"role": "assistant", "content": "ⴰⵣⵓⵍ"},
    {"role": "user", "content": "Et en français ?"},
    {"role": "assistant", "content": "Bonjour à tous"},
]


def _split(tokenizer: object, row: dict[str, list[int]]) -> tuple[str, str]:
    ids, mask = row["input_ids"], row["assistant_masks"]
    kept = [i for i, m in zip(ids, mask, strict=True) if m]
    dropped = [i for i, m in zip(ids, mask, strict=True) if not m]
    return tokenizer.decode(kept), tokenizer.decode(dropped)  # type: ignore[attr-defined]


def test_mask_covers_the_replies_and_their_end_of_turn(tokenizer: object) -> None:
    kept, dropped = _split(tokenizer, masked_example(tokenizer, CHAT))
    assert kept == "ⴰⵣⵓⵍ<|im_end|>\nBonjour à tous<|im_end|>\n"
    assert "Jawb b darija." in dropped and "Et en français ?" in dropped
    assert dropped.endswith("<|im_start|>assistant\n")  # the prompt to answer is not learnt


def test_template_that_rewrites_earlier_turns_is_refused(tokenizer: object) -> None:
    tok = copy.deepcopy(tokenizer)
    tok.chat_template = (  # type: ignore[attr-defined]
        "{{ messages | length }} turns\n{% for m in messages %}{{ m['content'] }}\n{% endfor %}"
    )
    with pytest.raises(TuneDataError, match="assistant_only_loss: false"):
        masked_examples(tok, [{"messages": CHAT}], 96)


def test_trl_labels_are_minus_100_off_the_replies_and_the_loss_follows(
    tiny_model: Callable[[str], Path], tokenizer: object, tmp_path: Path
) -> None:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    model = AutoModelForCausalLM.from_pretrained(tiny_model("llama"))
    second = CHAT[:3]
    rows, dropped = masked_examples(tokenizer, [{"messages": CHAT}, {"messages": second}], 96)
    assert dropped == 0
    config = SFTConfig(
        output_dir=str(tmp_path),
        max_length=96,
        packing=False,
        use_cpu=True,
        report_to=[],
        activation_checkpointing=False,
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,  # type: ignore[arg-type]
    )
    prepared: Any = trainer.train_dataset
    for row, ready in zip(rows, prepared, strict=True):
        n = len(ready["input_ids"])  # TRL may truncate to max_length
        assert ready["input_ids"] == row["input_ids"][:n]
        expected = [
            i if m else -100 for i, m in zip(row["input_ids"], row["assistant_masks"], strict=True)
        ]
        assert ready["labels"] == expected[:n]

    batch = trainer.data_collator([dict(r) for r in prepared])
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        masked = model(**batch).loss
        full_labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
        full = model(**{**batch, "labels": full_labels}).loss
    per_token = torch.nn.functional.cross_entropy(
        logits[:, :-1].flatten(0, 1), batch["labels"][:, 1:].flatten(), reduction="none"
    )
    on_replies = batch["labels"][:, 1:].flatten() != -100
    torch.testing.assert_close(masked, per_token[on_replies].mean())
    assert int(on_replies.sum()) < int((full_labels[:, 1:] != -100).sum())
    assert abs(float(masked) - float(full)) > 1e-3  # the prompt tokens no longer count


def test_lora_on_plain_text_trains_on_every_token(
    tiny_model: Callable[[str], Path], shared: Path, tmp_path: Path
) -> None:
    """A LoRA run on corpus text (stage 2 of a tokenizer extension, or continued pretraining by
    LoRA) keeps the default `assistant_only_loss: true`: text rows have no turns, so the loss is
    on every token instead of the run failing on rows without `messages`."""
    import json

    from agadir.tune.recipe import load_tune_recipe
    from agadir.tune.run import run_recipe
    from tests.tune.conftest import write_recipe

    lines = [
        line.split("\t")[1]
        for line in (shared / "lid" / "train.tsv").read_text(encoding="utf-8").splitlines()
        if line.startswith("zgh_Tfng\t")
    ][:40]
    shard = tmp_path / "corpus" / "data" / "zgh_Tfng" / "part-0.jsonl"
    shard.parent.mkdir(parents=True)
    shard.write_text("".join(json.dumps({"text": t}) + "\n" for t in lines), encoding="utf-8")
    out = tmp_path / "run"
    data = f"  - kind: corpus\n    path: {tmp_path / 'corpus'}"
    recipe = write_recipe(tmp_path / "r.yaml", tiny_model("llama"), data, out, max_steps=2)
    summary = run_recipe(load_tune_recipe(recipe), models_dir=None)
    assert summary.steps == 2
    assert (out / "final" / "adapter_config.json").exists()


def test_lora_recipe_mixing_text_and_turns_is_refused(tmp_path: Path) -> None:
    from agadir.tune.errors import TuneRecipeError
    from agadir.tune.recipe import load_tune_recipe

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: x\nbase: b\nmethod: lora\noutput: o\ndata:\n  - kind: corpus\n    path: corp\n"
        "  - kind: chat\n    path: c.jsonl\n",
        encoding="utf-8",
    )
    with pytest.raises(TuneRecipeError, match="split them into two runs"):
        load_tune_recipe(recipe)
    recipe.write_text(recipe.read_text().replace("method: lora", "method: full"))
    with pytest.raises(TuneRecipeError, match="use method 'cpt'"):
        load_tune_recipe(recipe)
