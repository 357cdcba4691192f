"""Reports for `train_lid.py`: F1 per label, per source and per length bucket, and calibration.

All figures come from the shipped inference path (`agadir.lang.lid.probabilities`: script mask,
float16 weights), not from a training-time shortcut, so what is printed is what users get.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from lid_data import BUCKETS, Rows, bucket_of

from agadir.lang.labels import LABELS
from agadir.lang.lid import LidModel, probabilities


def f1_report(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Per-label F1 over `LABELS`; ``macro`` averages the labels present in ``gold``."""
    out: dict[str, float] = {}
    for lab in LABELS:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred, strict=True))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred, strict=True))
        out[lab] = 2 * tp / max(2 * tp + fp + fn, 1)
    present = [lab for lab in LABELS if lab in set(gold)] or list(LABELS)
    out["macro"] = float(np.mean([out[lab] for lab in present]))
    return out


def label_f1(gold: Sequence[str], pred: Sequence[str], label: str) -> float:
    """F1 of one label."""
    tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
    fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
    fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
    return 2 * tp / max(2 * tp + fp + fn, 1)


def predict(model: LidModel, texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Best label and its probability per line (``und`` for lines without letters)."""
    p, und = probabilities(texts, model)
    idx = np.argmax(p, axis=1)
    labels = [("und" if u else model.labels[i]) for i, u in zip(idx, und, strict=True)]
    return labels, p[np.arange(len(texts)), idx]


def ece(correct: np.ndarray, conf: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: bin-weighted |accuracy - mean confidence| of the top label."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(total)


def report(model: LidModel, rows: Rows, title: str) -> dict[str, float]:
    """Print F1 per label, per (source, label) and per length bucket; return headline numbers."""
    pred, conf = predict(model, rows.texts)
    gold = rows.labels
    overall = f1_report(gold, pred)
    correct = np.array([g == p for g, p in zip(gold, pred, strict=True)])
    calib = ece(correct, conf)
    print(f"\n### {title}: {len(rows)} lines, macro-F1 {overall['macro']:.4f}, ECE {calib:.4f}\n")
    buckets = [bucket_of(t) for t in rows.texts]
    per_bucket = []
    for name, _, _ in BUCKETS:
        mask = np.array([b == name for b in buckets])
        if mask.any():
            per_bucket.append(f"{name} words {ece(correct[mask], conf[mask]):.4f} ({mask.sum()})")
    print("ECE per length bucket: " + ", ".join(per_bucket) + "\n")
    print("| label | F1 | " + " | ".join(f"F1 {name} words (n)" for name, _, _ in BUCKETS) + " |")
    print("|---|---:|" + "---:|" * len(BUCKETS))
    for lab in [x for x in LABELS if x in set(gold)]:
        cells = []
        for name, _, _ in BUCKETS:
            idx = [i for i, b in enumerate(buckets) if b == name]
            n = sum(gold[i] == lab for i in idx)
            f1 = label_f1([gold[i] for i in idx], [pred[i] for i in idx], lab)
            cells.append(f"{f1:.3f} ({n})" if n else "-")
        print(f"| {lab} | {overall[lab]:.3f} | " + " | ".join(cells) + " |")
    print("\n| source | label | lines | F1 of the label (source's lines + other labels) |")
    print("|---|---|---:|---:|")
    for src, lab in sorted(set(zip(rows.sources, gold, strict=True))):
        keep = [s == src or g != lab for s, g in zip(rows.sources, gold, strict=True)]
        g2 = [g for g, k in zip(gold, keep, strict=True) if k]
        p2 = [p for p, k in zip(pred, keep, strict=True) if k]
        n = sum(s == src and g == lab for s, g in zip(rows.sources, gold, strict=True))
        print(f"| {src} | {lab} | {n} | {label_f1(g2, p2, lab):.3f} |")
    return {"macro": overall["macro"], "ece": calib, **overall}
