"""Loss and eval-loss curves from the trainer's log history, as a PNG next to the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def loss_points(history: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    return [(int(h["step"]), float(h[key])) for h in history if key in h and "step" in h]


def write_curves(history: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Plot ``loss`` and ``eval_loss`` against the optimizer step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("loss", "train loss"), ("eval_loss", "eval loss")):
        points = loss_points(history, key)
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", markersize=3, label=label)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
