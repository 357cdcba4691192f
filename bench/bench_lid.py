"""LID on ../shared/data/lid/dev.tsv: agadir.lang vs py3langid, same lines, one run.

Reports per-label F1, macro-F1 over the 12 labels, accuracy on lines of <= 5 words, and batch
throughput on one core (median of 7 runs over the whole dev set, for both ``best_labels`` and
the public ``identify_batch`` with top-3 lists), with the 1-minute load average of the machine
at that time. Writes the confusion matrix to ``docs/img/lid_confusion.png``. py3langid labels
are mapped ary->ary_Arab (Arabic script) / ary_Latn (Latin), ar->arb_Arab, arz->arz_Arab,
kab->ber_Latn, fr/en/es->fra/eng/spa_Latn; anything else counts as wrong.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_lid.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from train_lid import f1_report, read_tsv  # noqa: E402

from agadir.lang.labels import LABELS  # noqa: E402
from agadir.lang.lid import best_labels, identify_batch, load_model  # noqa: E402

PNG = ROOT / "docs" / "img" / "lid_confusion.png"

_PY3 = {"ar": "arb_Arab", "arz": "arz_Arab", "kab": "ber_Latn", "fr": "fra_Latn",
        "en": "eng_Latn", "es": "spa_Latn"}  # fmt: skip


def py3langid_labels(texts: list[str]) -> tuple[list[str], float]:
    import py3langid

    t0 = time.perf_counter()
    out = []
    for t in texts:
        code = py3langid.classify(t)[0]
        if code == "ary":
            out.append("ary_Latn" if t[:1].isascii() else "ary_Arab")
        else:
            out.append(_PY3.get(code, "und"))
    return out, len(texts) / (time.perf_counter() - t0)


def lines_per_second(
    fn: Callable[[Sequence[str]], object], texts: list[str], runs: int = 7
) -> float:
    """Median throughput of ``fn`` over the whole list (one warm-up call first)."""
    fn(texts)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(texts)
        times.append(time.perf_counter() - t0)
    return len(texts) / statistics.median(times)


def confusion_png(gold: list[str], pred: list[str], path: Path) -> None:
    """Row-normalised confusion matrix (gold rows, predicted columns, ``und`` last)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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


def main() -> None:
    gold, texts = read_tsv(ROOT.parent / "shared" / "data" / "lid" / "dev.tsv")
    load_model()
    ours = best_labels(texts)
    lps = lines_per_second(best_labels, texts)
    lps_top3 = lines_per_second(identify_batch, texts)
    load = os.getloadavg()[0]
    theirs, lps3 = py3langid_labels(texts)
    short = [i for i, t in enumerate(texts) if len(t.split()) <= 5]
    rows = [("agadir.lang", ours, lps), ("py3langid", theirs, lps3)]
    print(f"LID on dev.tsv: {len(texts)} lines, {len(short)} of <= 5 words\n")
    print("| system | macro-F1 | " + " | ".join(LABELS) + " | acc <=5 words | lines/s |")
    print("|---|" + "---:|" * (len(LABELS) + 3))
    for name, pred, speed in rows:
        rep = f1_report(gold, pred)
        acc_short = statistics.mean(pred[i] == gold[i] for i in short)
        cells = " | ".join(f"{rep[lab]:.3f}" for lab in LABELS)
        print(f"| {name} | {rep['macro']:.3f} | {cells} | {acc_short:.3f} | {speed:,.0f} |")
    print(
        f"\nagadir.lang `identify_batch` (top-3 lists): {lps_top3:,.0f} lines/s; "
        f"`best_labels`: {lps:,.0f} lines/s (medians of 7; 1-min load average {load:.2f} "
        f"on {os.cpu_count()} cores)."
    )
    confusion_png(gold, ours, PNG)
    print(f"confusion matrix: {PNG.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
