"""Tokenizer fertility audit: Mistral SentencePiece v1/v3, Tekken and the packaged GGUF.

Prints the Markdown table and writes docs/img/fertility.png (tokens per word, grouped bars).

    python bench/bench_fertility.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agadir.lang.fertility import fertility_grid, markdown_table  # noqa: E402
from agadir.lang.fertility_sources import default_tokenizers, parallel_corpora  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "img" / "fertility.png")
    args = ap.parse_args()
    grid = fertility_grid(default_tokenizers(), parallel_corpora(args.data))
    print(markdown_table(grid))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = list(next(iter(grid.values())).keys())
    width = 0.8 / len(grid)
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for i, (name, row) in enumerate(grid.items()):
        xs = [j + i * width for j in range(len(langs))]
        ax.bar(xs, [row[lang].per_word for lang in langs], width, label=name)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(langs))], langs)
    ax.set_ylabel("tokens per word")
    ax.set_title("Tokenizer fertility on shared parallel dev sets (lower is better)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.png, dpi=120)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
