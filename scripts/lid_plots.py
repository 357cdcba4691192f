"""Plots for the LID benchmark: confusion matrix and reliability (calibration) diagram."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agadir.lang.labels import LABELS


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_png(gold: Sequence[str], pred: Sequence[str], path: Path) -> None:
    """Row-normalised confusion matrix (gold rows, predicted columns, ``und`` last)."""
    plt = _pyplot()
    labels = [*LABELS, "und"]
    index = {lab: i for i, lab in enumerate(labels)}
    counts = np.zeros((len(LABELS), len(labels)))
    for g, p in zip(gold, pred, strict=True):
        counts[index[g], index.get(p, len(labels) - 1)] += 1
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(share.shape[0]):
        for j in range(share.shape[1]):
            if counts[i, j]:
                color = "white" if share[i, j] > 0.5 else "black"
                ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=7,
                        color=color)  # fmt: skip
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title("agadir.lang LID on dev.tsv (counts; colour = share of the gold row)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def calibration_png(correct: np.ndarray, conf: np.ndarray, path: Path, bins: int = 10) -> None:
    """Accuracy against mean confidence per confidence bin; the diagonal is perfect calibration."""
    plt = _pyplot()
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    xs, ys, ns = [], [], []
    for b in range(bins):
        mask = which == b
        if mask.any():
            xs.append(conf[mask].mean())
            ys.append(correct[mask].mean())
            ns.append(int(mask.sum()))
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    ax.plot(xs, ys, marker="o")
    for x, y, n in zip(xs, ys, ns, strict=True):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("top-label probability (bin mean)")
    ax.set_ylabel("accuracy")
    ax.set_title("LID reliability on dev.tsv (lines per bin)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
