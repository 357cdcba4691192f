"""One tuning run: load the base and data, train with TRL's SFTTrainer, write the results.

The run folder (``recipe.output``) holds ``checkpoints/`` (resumable: a rerun of the same recipe
continues from the last one after a kill; a rerun of a finished run trains nothing, see
`agadir.tune.summary`), ``final/`` (the adapter, or the whole model for
``full`` / ``cpt``, plus the tokenizer), ``recipe.yaml`` as resolved, ``data_report.json`` (counts
and every bad line), ``loss.png`` and ``summary.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from agadir.tune.deps import require_tune_extra
from agadir.tune.errors import TuneRecipeError, TuneUnavailableError
from agadir.tune.recipe import TuneRecipe
from agadir.tune.summary import RunSummary, finished_summary

LORA_METHODS = ("lora", "qlora")
# Used only when the base's tokenizer carries none (e.g. a bare BPE): ChatML-shaped turns.
FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def resolve_device(requested: str, method: str) -> str:
    """``cpu`` or ``cuda``; refuses CUDA without a GPU and QLoRA without CUDA + bitsandbytes."""
    import torch

    has_cuda = torch.cuda.is_available()
    device = ("cuda" if has_cuda else "cpu") if requested == "auto" else requested
    if device == "cuda" and not has_cuda:
        raise TuneUnavailableError("--device cuda was asked for but torch sees no CUDA GPU")
    if method == "qlora":
        if device != "cuda":
            raise TuneUnavailableError(
                "QLoRA needs bitsandbytes and a CUDA GPU; this run is on CPU. "
                "Use `method: lora` on CPU (same adapter, float32 base)."
            )
        try:
            import bitsandbytes  # noqa: F401
        except ImportError as exc:
            raise TuneUnavailableError(
                "QLoRA needs bitsandbytes: pip install 'bitsandbytes>=0.43'"
            ) from exc
    return device


def _config(recipe: TuneRecipe, device: str, checkpoints: Path) -> Any:
    from trl import SFTConfig

    t = recipe.train
    early = t.early_stop_patience is not None
    if early and t.save_steps % t.eval_steps:
        raise TuneRecipeError(
            f"train.save_steps ({t.save_steps}) must be a multiple of train.eval_steps "
            f"({t.eval_steps}) when train.early_stop_patience is set (the best checkpoint is kept)"
        )
    return SFTConfig(
        output_dir=str(checkpoints),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps if t.max_steps is not None else -1,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.gradient_accumulation,
        learning_rate=t.learning_rate,
        warmup_steps=t.warmup_steps,
        logging_steps=t.logging_steps,
        eval_strategy="steps",
        eval_steps=t.eval_steps,
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=2,
        load_best_model_at_end=early,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        seed=t.seed,
        max_length=t.max_length,
        packing=t.packing,
        use_cpu=device == "cpu",
        bf16=False,
        fp16=False,
        report_to=[],
        disable_tqdm=True,
        include_num_input_tokens_seen=True,
        dataset_text_field="text",
        save_only_model=False,
        # TRL turns checkpointing on by default; on small CPU runs it only costs time
        activation_checkpointing=False,
    )


def resolved_yaml(recipe: TuneRecipe) -> str:
    """The recipe as it will run (defaults filled, paths absolute): printed and saved."""
    return yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def run_recipe(
    recipe: TuneRecipe,
    models_dir: Path | None,
    console: Console | None = None,
    callbacks: Sequence[Any] = (),
) -> RunSummary:
    """Train as ``recipe`` says; resumes from the last checkpoint under ``recipe.output``."""
    require_tune_extra()
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar
    from transformers import EarlyStoppingCallback, PrinterCallback
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTTrainer

    from agadir.tune.base import load_base
    from agadir.tune.curves import write_curves
    from agadir.tune.data import load_split
    from agadir.tune.lora_targets import lora_config
    from agadir.tune.progress import RichProgressCallback

    console = console or Console(stderr=True)
    if recipe.embedding_stage is not None:  # two-stage: train stage 1, then LoRA from its result
        from agadir.tune.tokenizer.stage import run_embedding_stage

        recipe = run_embedding_stage(recipe, models_dir, console, run_recipe)
    disable_progress_bar()  # per-map bars of `datasets` would interleave with ours
    out = recipe.output
    done = finished_summary(out, resolved_yaml(recipe))
    if done is not None:
        console.print(
            f"run already finished in {out} ({done.steps} steps; final/ and summary.json written): "
            "nothing to train. Export it with `agadir tune export`, or delete the folder (or set "
            "another `output`) to train again."
        )
        return done
    device = resolve_device(recipe.device, recipe.method)
    out.mkdir(parents=True, exist_ok=True)
    (out / "recipe.yaml").write_text(resolved_yaml(recipe), encoding="utf-8")

    split = load_split(recipe.data, recipe.templates, recipe.eval_fraction, recipe.train.seed)
    report = split.report
    (out / "data_report.json").write_text(
        json.dumps(
            {
                "used": report.used,
                "train": len(split.train),
                "eval": len(split.eval),
                "bad_lines": len(report.bad),
                "bad": [
                    {"file": str(b.file), "line": b.line, "reason": b.reason} for b in report.bad
                ],
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    console.print(f"data: {len(split.train)} train, {len(split.eval)} eval examples")
    for bad in report.bad[:10]:
        console.print(f"[yellow]bad line[/] {bad.file}:{bad.line}: {bad.reason}")
    if len(report.bad) > 10:
        console.print(f"[yellow]… {len(report.bad) - 10} more bad lines in data_report.json[/]")

    base = load_base(recipe.base, models_dir, quantize_4bit=recipe.method == "qlora")
    console.print(f"base: {base.source} ({base.kind}, {base.model.num_parameters():,} parameters)")
    if base.tokenizer.chat_template is None:
        base.tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    if recipe.method == "embeddings":
        from agadir.tune.tokenizer.stage import freeze_to_embeddings

        freeze_to_embeddings(base.model, base.source, console)

    checkpoints = out / "checkpoints"
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    progress = RichProgressCallback(console)
    extra: list[Any] = [progress, *callbacks]
    if recipe.train.early_stop_patience is not None:
        extra.append(
            EarlyStoppingCallback(early_stopping_patience=recipe.train.early_stop_patience)
        )
    train_rows, eval_rows = split.train, split.eval
    chat = all("messages" in row for row in (*train_rows, *eval_rows))
    if recipe.train.assistant_only_loss and recipe.method not in ("cpt", "embeddings") and chat:
        from agadir.tune.assistant_mask import masked_examples

        length = recipe.train.max_length
        train_rows, cut = masked_examples(base.tokenizer, train_rows, length)
        eval_rows, eval_cut = masked_examples(base.tokenizer, eval_rows, length)
        console.print("loss on assistant turns only (train.assistant_only_loss)")
        if cut + eval_cut:
            data_report = out / "data_report.json"
            counts = json.loads(data_report.read_text(encoding="utf-8"))
            counts["dropped_reply_after_max_length"] = cut + eval_cut
            data_report.write_text(json.dumps(counts, ensure_ascii=False, indent=2), "utf-8")
            console.print(
                f"[yellow]{cut + eval_cut} examples dropped: their reply starts after "
                f"train.max_length ({length}) tokens[/]"
            )
    elif recipe.train.assistant_only_loss and recipe.method not in ("cpt", "embeddings"):
        # plain text (corpus data) has no turns to single out: every token is the target
        console.print("loss on every token: this run's data has plain-text rows, not turns")
    trainer = SFTTrainer(
        model=base.model,
        args=_config(recipe, device, checkpoints),
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows),
        processing_class=base.tokenizer,
        peft_config=lora_config(recipe.lora, base.model) if recipe.method in LORA_METHODS else None,
        callbacks=extra,
    )
    trainer.remove_callback(PrinterCallback)  # the rich bar replaces its raw dict lines
    if last:
        console.print(f"resuming from {last}")
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=last)
    wall = time.perf_counter() - started
    final = out / "final"
    trainer.save_model(str(final))
    base.tokenizer.save_pretrained(str(final))
    history = trainer.state.log_history
    write_curves(history, out / "loss.png", recipe.name)
    losses = [h["loss"] for h in history if "loss" in h]
    evals = [h["eval_loss"] for h in history if "eval_loss" in h]
    max_steps = trainer.state.max_steps
    summary = RunSummary(
        steps=trainer.state.global_step,
        train_loss=result.training_loss,
        eval_loss=evals[-1] if evals else None,
        first_loss=losses[0] if losses else None,
        last_loss=losses[-1] if losses else None,
        tokens_per_s=progress.tokens_per_s,
        wall_s=wall,
        resumed_from=last,
        stopped_early=trainer.state.global_step < max_steps,
        output=str(out),
    )
    summary.write(out)
    return summary
