"""Cost of the new tokens: held-out loss per character, extended vs un-extended, same budget.

Both models go through the same `agadir tune` two-stage recipe (`run_recipe`): stage 1 trains
the embeddings and LM head on raw target-language text (on the extended model only its new
rows move), stage 2 is LoRA on the same text. Same steps, same batch and same packed sequence
length, so both see the same number of *tokens* (the same compute); the extended tokenizer
packs more characters into them, which is the point of extending.

The loss is compared per character, never per token (tokens differ between the tokenizers):
each held-out line is scored as ``-log P(line | <eos>)`` summed over its tokens and divided by
its characters; bits per character = that / ln 2.

Not handled: choosing the budget. At the small budget of a shared CPU the numbers say what a
few steps buy, not where a long run ends; rerun with ``--stage1-steps``/``--stage2-steps``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console


@dataclass
class Budget:
    stage1_steps: int
    stage2_steps: int
    batch_size: int
    max_length: int
    stage1_lr: float
    stage2_lr: float

    @property
    def tokens_per_stage(self) -> tuple[int, int]:
        per_step = self.batch_size * self.max_length
        return self.stage1_steps * per_step, self.stage2_steps * per_step


@dataclass
class HeldOut:
    """Loss of one model on the held-out lines."""

    variant: str
    stage: str
    lines: int
    chars: int
    tokens: int
    nll: float  # nats, summed over every token of every line

    @property
    def bits_per_char(self) -> float:
        return self.nll / self.chars / math.log(2)

    @property
    def ppl_per_char(self) -> float:
        return math.exp(self.nll / self.chars)

    @property
    def ppl_per_token(self) -> float:
        return math.exp(self.nll / self.tokens)


def held_out_loss(model: Any, tok: Any, lines: list[str], variant: str, stage: str) -> HeldOut:
    """``-log P(line | <eos>)`` summed over lines; one line a forward pass (no padding)."""
    import torch
    import torch.nn.functional as F

    model.eval()
    prefix = tok.eos_token_id
    nll, tokens, chars = 0.0, 0, 0
    with torch.no_grad():
        for line in lines:
            ids = torch.tensor([[prefix, *tok.encode(line, add_special_tokens=False)]])
            logits = model(ids).logits[0, :-1].float()
            nll += float(F.cross_entropy(logits, ids[0, 1:], reduction="sum"))
            tokens += ids.shape[1] - 1
            chars += len(line)
    return HeldOut(variant, stage, len(lines), chars, tokens, nll)


def write_corpus(root: Path, label: str, lines: list[str]) -> Path:
    """Lines as an `agadir corpus build`-shaped folder (what `kind: corpus` data reads)."""
    shard = root / "data" / label / "part-0.jsonl"
    if shard.is_file():
        return root
    shard.parent.mkdir(parents=True, exist_ok=True)
    shard.write_text("".join(json.dumps({"text": t}) + "\n" for t in lines), encoding="utf-8")
    return root


def prepare_bases(
    work: Path, gguf: Path, label: str, train: list[str], merges: int, console: Console
) -> dict[str, Path]:
    """The packaged GGUF de-quantized once into an HF folder, and its extension (same weights)."""
    from agadir.tune.base import load_base
    from agadir.tune.export import save_plain
    from agadir.tune.tokenizer.embeddings import init_new_rows, save_extended
    from agadir.tune.tokenizer.extend import extend_tokenizer

    plain, extended = work / "base-hf", work / "extended-hf"
    if not (extended / "config.json").exists():
        base = load_base(str(gguf), None)
        if not (plain / "config.json").exists():
            save_plain(base.model, base.tokenizer, plain)
        started = time.perf_counter()
        ext = extend_tokenizer(base.tokenizer, {label: train}, merges)
        console.print(f"{len(ext.new_tokens)} new tokens in {time.perf_counter() - started:.0f} s")
        report = init_new_rows(base.model, base.tokenizer, ext)
        save_extended(extended, ext, str(gguf), base.model, report)
        save_plain(base.model, ext.tokenizer, extended)  # drops the GGUF quantization entry
    return {"base": plain, "extended": extended}


def two_stage_recipe(name: str, base: Path, corpus: Path, out: Path, budget: Budget) -> Any:
    """The issue's recipe: stage 1 embeddings + head, then LoRA, on the same raw text."""
    from agadir.tune.recipe import CorpusData, EmbeddingStage, TrainSpec, TuneRecipe

    def spec(steps: int, lr: float) -> TrainSpec:
        big = steps + 1  # no mid-run eval or checkpoint: the budget is training steps only
        return TrainSpec(
            max_steps=steps,
            learning_rate=lr,
            batch_size=budget.batch_size,
            max_length=budget.max_length,
            logging_steps=1,
            eval_steps=big,
            save_steps=big,
            early_stop_patience=None,
        )

    data = [CorpusData(kind="corpus", path=corpus)]
    return TuneRecipe(
        name=name,
        base=str(base),
        method="lora",
        data=data,
        # the trainer evaluates once at the end whatever eval_steps says; one example keeps
        # that cheap (the held-out figure is ours, on LID DEV)
        eval_fraction=0.0001,
        embedding_stage=EmbeddingStage(
            data=data, train=spec(budget.stage1_steps, budget.stage1_lr)
        ),
        train=spec(budget.stage2_steps, budget.stage2_lr),
        device="cpu",
        output=out,
    )


def measure_cost(
    work: Path,
    gguf: Path,
    label: str,
    train: list[str],
    dev: list[str],
    merges: int,
    budget: Budget,
    console: Console,
    variants: tuple[str, ...] = ("base", "extended"),
) -> list[HeldOut]:
    """Train both variants with the same budget; held-out loss before, after stage 1 and 1+2."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agadir.tune.merge import adapted_model
    from agadir.tune.run import run_recipe

    work.mkdir(parents=True, exist_ok=True)
    results_path = work / "cost.json"
    done: dict[tuple[str, str], HeldOut] = {}
    if results_path.exists():
        for row in json.loads(results_path.read_text(encoding="utf-8"))["held_out"]:
            done[(row["variant"], row["stage"])] = HeldOut(**row)

    def record(row: HeldOut) -> None:
        done[(row.variant, row.stage)] = row
        console.print(
            f"{row.variant} {row.stage}: {row.bits_per_char:.3f} bits/char "
            f"({row.tokens} tokens for {row.chars} chars)"
        )
        payload = {"budget": asdict(budget), "held_out": [asdict(r) for r in done.values()]}
        results_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")

    bases = prepare_bases(work, gguf, label, train, merges, console)
    corpus = write_corpus(work / "corpus", label, train)
    for variant in variants:
        folder = bases[variant]
        tok = AutoTokenizer.from_pretrained(str(folder))
        if (variant, "untrained") not in done:
            model = AutoModelForCausalLM.from_pretrained(str(folder))
            record(held_out_loss(model, tok, dev, variant, "untrained"))
        run = work / f"run-{variant}"
        if (variant, "stage 1+2") not in done:
            recipe = two_stage_recipe(f"cost-{variant}", folder, corpus, run, budget)
            summary = run_recipe(recipe, None, console)
            console.print(f"{variant}: stage 2 {summary.steps} steps in {summary.wall_s:.0f} s")
        if (variant, "stage 1") not in done:
            model = AutoModelForCausalLM.from_pretrained(str(run / "stage1" / "final"))
            record(held_out_loss(model, tok, dev, variant, "stage 1"))
        if (variant, "stage 1+2") not in done:
            record(held_out_loss(adapted_model(run, None), tok, dev, variant, "stage 1+2"))
    return list(done.values())


def cost_table(rows: list[HeldOut], budget: Budget) -> str:
    """Markdown: bits per character by stage, extended vs base, and their ratio."""
    by = {(r.variant, r.stage): r for r in rows}
    t1, t2 = budget.tokens_per_stage
    lines = [
        f"Budget per variant: stage 1 {budget.stage1_steps} steps, stage 2 {budget.stage2_steps} "
        f"steps; batch {budget.batch_size} x {budget.max_length} packed tokens ({t1} + {t2} "
        f"tokens); lr {budget.stage1_lr} / {budget.stage2_lr}.",
        "",
        "| stage | base bits/char | extended bits/char | extended ÷ base | base ppl/char "
        "| extended ppl/char | base tokens/char | extended tokens/char |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for stage in ("untrained", "stage 1", "stage 1+2"):
        base, ext = by.get(("base", stage)), by.get(("extended", stage))
        if base is None or ext is None:
            continue
        lines.append(
            f"| {stage} | {base.bits_per_char:.3f} | {ext.bits_per_char:.3f} "
            f"| {ext.bits_per_char / base.bits_per_char:.2f}x | {base.ppl_per_char:.2f} "
            f"| {ext.ppl_per_char:.2f} | {base.tokens / base.chars:.3f} "
            f"| {ext.tokens / ext.chars:.3f} |"
        )
    return "\n".join(lines)
