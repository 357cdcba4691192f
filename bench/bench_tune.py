"""Export and serving figures of `agadir tune`: export time, GGUF size per quant type, and the
tuned model's decode tokens/s under `agadir serve` divided by its base's.

The tuned model is a short LoRA run of the packaged SmolLM2-135M-Instruct on DODa Arabizi→English
pairs (its *speed* does not depend on how long it trained: same architecture, same size). It is
exported with llama.cpp's converter (f16) and quantized to q8_0, q4_k_m and q4_1; q4_1 is the
packaged base's own type, so that pair is the like-for-like speed comparison. Both models are
served by one `agadir serve` and asked, alternately, for the same greedy chats.

Usage: python bench/bench_tune.py [--reps 5] [--max-tokens 96] [--threads 2] [--work DIR]
Prints Markdown tables and writes docs/img/tune_export.png.

``--mode chrf`` measures instead the headline figure, chrF++ before vs after a short Darija LoRA
(bench/tune_chrf.py): python bench/bench_tune.py --mode chrf [--train-minutes 10] [--steps 40]
[--samples 20]; it writes docs/img/tune_chrf.png.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; no hub, no telemetry
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from serve_harness import PROMPTS, agadir_server, load1  # noqa: E402

BASE = "smollm2-135m-instruct"
QUANTS = ["q8_0", "q4_k_m", "q4_1"]


def shared_data() -> Path:
    for candidate in (
        os.environ.get("AGADIR_SHARED_DATA", ""),
        str(ROOT.parents[1] / "shared" / "data"),
    ):
        if candidate and (Path(candidate) / "parallel").is_dir():
            return Path(candidate)
    raise SystemExit("shared data not found: set AGADIR_SHARED_DATA")


def write_recipe(work: Path, data: Path) -> Path:
    tsv = data / "parallel" / "doda_ary_Latn-eng_Latn.train.tsv"
    recipe = work / "recipe.yaml"
    recipe.write_text(
        f"name: smollm2-darija-bench\nbase: {BASE}\nmethod: lora\ndevice: cpu\n"
        f"output: {work / 'run'}\n"
        f"data:\n  - kind: parallel\n    path: {tsv}\n    source: ary_Latn\n"
        "    target: eng_Latn\n    max_examples: 32\n    license: MIT\n"
        "train:\n  max_steps: 1\n  batch_size: 2\n  max_length: 64\n  eval_steps: 1\n"
        "  save_steps: 1\n  early_stop_patience: null\n",
        encoding="utf-8",
    )
    return recipe


def decode_tok_s(client: object, model: str, prompt: str, max_tokens: int) -> float:
    """Tokens after the first, per second after the first: the decode rate of one chat."""
    start = time.perf_counter()
    first: float | None = None
    tokens = 0
    stream = client.chat.completions.create(  # type: ignore[attr-defined]
        model=model,
        messages=[{"role": "user", "content": prompt}],
        temperature=0,
        max_tokens=max_tokens,
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content and first is None:
            first = time.perf_counter()
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
    end = time.perf_counter()
    if first is None or tokens < 2:
        raise RuntimeError(f"{model}: no tokens streamed")
    del start
    return (tokens - 1) / (end - first)


def serve_and_measure(home: Path, tuned: str, args: argparse.Namespace) -> dict[str, list[float]]:
    import openai

    env = {**os.environ, "AGADIR_HOME": str(home), "AGADIR_LLAMACPP__THREADS": str(args.threads)}
    env.pop("AGADIR_CONFIG", None)
    server = agadir_server(env, home.parent)
    rates: dict[str, list[float]] = {BASE: [], tuned: []}
    try:
        key = server.headers["Authorization"].removeprefix("Bearer ")
        client = openai.OpenAI(base_url=f"{server.base}/v1", api_key=key, max_retries=0)
        for model in rates:  # load both engines and warm them up before timing
            decode_tok_s(client, model, PROMPTS[0], 16)
        for rep in range(args.reps):
            prompt = PROMPTS[rep % len(PROMPTS)]
            order = [BASE, tuned] if rep % 2 == 0 else [tuned, BASE]
            for model in order:
                rates[model].append(decode_tok_s(client, model, prompt, args.max_tokens))
    finally:
        server.stop()
    return rates


def plot(sizes: dict[str, float], rates: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.bar(list(sizes), list(sizes.values()), color="#4c72b0")
    left.set_ylabel("MB")
    left.set_title("exported GGUF size")
    right.boxplot(list(rates.values()), tick_labels=list(rates))
    right.set_ylabel("decode tokens/s")
    right.set_title("agadir serve, base vs tuned (q4_1)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--mode", choices=["export", "chrf"], default="export")
    parser.add_argument("--train-minutes", type=float, default=10.0, help="chrf: wall budget")
    parser.add_argument("--steps", type=int, default=40, help="chrf: LR schedule length")
    parser.add_argument("--lr", type=float, default=2e-3, help="chrf: learning rate")
    parser.add_argument("--examples", type=int, default=2000, help="chrf: TRAIN rows/direction")
    parser.add_argument("--samples", type=int, default=20, help="chrf: DEV samples/direction")
    args = parser.parse_args()
    if args.mode == "chrf":
        from tune_chrf import run_chrf

        run_chrf(args, ROOT, shared_data())
        return

    from agadir.models.packaged import PACKAGED_MODELS
    from agadir.models.store import ModelStore
    from agadir.tune.export import Exporter, register
    from agadir.tune.recipe import load_tune_recipe
    from agadir.tune.run import run_recipe

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-tune-"))
    home = work / "home"
    models = home / "models"
    ModelStore(models).ensure_packaged()
    recipe = load_tune_recipe(write_recipe(work, shared_data()))
    started = time.perf_counter()
    summary = run_recipe(recipe, models_dir=models)
    train_s = time.perf_counter() - started
    exporter = Exporter(recipe.output, models_dir=models, quants=QUANTS, outtype="f16")
    result = exporter.run()
    register(result, exporter, models, "smollm2-darija", replace=True)
    sizes = {f.kind: f.size_bytes / 1e6 for f in result.files}
    base_path = PACKAGED_MODELS[0].path()
    assert base_path is not None
    sizes["base q4_1"] = base_path.stat().st_size / 1e6
    load = load1()
    rates = serve_and_measure(home, "smollm2-darija-q4_1", args)
    base_med = statistics.median(rates[BASE])
    tuned_med = statistics.median(rates["smollm2-darija-q4_1"])

    print(f"\n### Tune export and serving (load average at start {load:.1f})\n")
    print(f"LoRA run: {summary.steps} steps in {train_s:.0f} s (base load included)\n")
    print(f"Export (merge + HF save + f16 conversion + 3 quantizations): {result.wall_s:.0f} s\n")
    print("| GGUF | size MB |\n|---|---|")
    for kind, mb in sizes.items():
        print(f"| {kind} | {mb:.0f} |")
    print(f"\n| model ({args.reps} chats, {args.max_tokens} tokens max) | decode tok/s median |")
    print("|---|---|")
    print(f"| base {BASE} (q4_1) | {base_med:.1f} |")
    print(f"| tuned smollm2-darija-q4_1 | {tuned_med:.1f} |")
    print(f"| tuned ÷ base | {tuned_med / base_med:.2f} |")
    plot(sizes, rates, ROOT / "docs" / "img" / "tune_export.png")


if __name__ == "__main__":
    main()
