"""Rebuild the packaged LID model `src/agadir/lang/lid_model.npz` from ../shared/data/lid.

Hashed character 1-5-grams plus whole words (see `agadir.lang._features`) feed a linear model.
The default (``--model ensemble``) adds two linear models over the same row-scaled features
into one weight matrix, so inference costs the same as either: a softmax regression fitted
by full-batch L-BFGS (``logreg``) plus ``--nb-weight`` times multinomial naive Bayes
log-probabilities (``nb``: per-label bucket counts, smoothing ``--alpha``, uniform prior).
Everything is deterministic (fixed hashing, counting, zero-init L-BFGS, no sampling), so the
same data gives the same weights bit for bit.

    python scripts/train_lid.py [--data ../shared/data/lid] [--model ensemble] [--nb-weight 0.5]

Model choices are made on train only: ``--holdout 0.2`` fits on 80 % of train.tsv and reports
F1 on the other 20 %, writing nothing; NLLB-Seed lines are held out by whole article, as dev
and test were split. The shipped settings are
the ones that won that comparison (see docs/languages.md); dev F1 is printed after a full
rebuild as a report, not used for choosing.
"""

from __future__ import annotations

import argparse
import csv
import sys
import zlib
from pathlib import Path

import numpy as np
from scipy import optimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agadir.lang import _features  # noqa: E402
from agadir.lang.labels import LABELS  # noqa: E402

OUT = ROOT / "src" / "agadir" / "lang" / "lid_model.npz"


def read_tsv(path: Path) -> tuple[list[str], list[str]]:
    """``label<TAB>text`` lines, read without quote handling (texts contain ``"``)."""
    labels: list[str] = []
    texts: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2:
                labels.append(row[0])
                texts.append(row[1])
    return labels, texts


def fit(
    x, y: np.ndarray, weights: np.ndarray, l2: float, iters: int
) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Weighted softmax regression; returns (W, b) with W of shape (features, labels)."""
    n, d = x.shape
    k = len(LABELS)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    xt = x.T.tocsr()
    wsum = weights.sum()

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * k].reshape(d, k)
        b = theta[d * k :]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -(weights * (logp * onehot).sum(axis=1)).sum() / wsum + 0.5 * l2 * (w * w).sum()
        g = (np.exp(logp) - onehot) * weights[:, None] / wsum
        gw = xt @ g + l2 * w
        return float(loss), np.concatenate((gw.ravel(), g.sum(axis=0)))

    theta0 = np.zeros(d * k + k)
    res = optimize.minimize(
        loss_grad, theta0, jac=True, method="L-BFGS-B", options={"maxiter": iters}
    )
    return res.x[: d * k].reshape(d, k), res.x[d * k :]


def f1_report(gold: list[str], pred: list[str]) -> dict[str, float]:
    """Per-label F1 over `LABELS` (and the macro average under key ``macro``)."""
    out: dict[str, float] = {}
    for lab in LABELS:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred, strict=True))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred, strict=True))
        out[lab] = 2 * tp / max(2 * tp + fp + fn, 1)
    out["macro"] = float(np.mean([out[lab] for lab in LABELS]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "lid")
    ap.add_argument("--bits", type=int, default=18)
    ap.add_argument("--l2", type=float, default=1e-6)
    ap.add_argument("--iters", type=int, default=250)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--words", type=int, default=1, help="whole-word orders: 0 none, 1 words, 2 + pairs"
    )
    ap.add_argument(
        "--class-power", type=float, default=0.5, help="class weight = (max count / count) ** p"
    )
    ap.add_argument("--model", choices=("ensemble", "nb", "logreg"), default="ensemble")
    ap.add_argument("--nb-weight", type=float, default=0.5, help="naive Bayes share (ensemble)")
    ap.add_argument("--alpha", type=float, default=0.05, help="naive Bayes smoothing")
    ap.add_argument("--holdout", type=float, default=0.0, help="validate on this tail of train")
    args = ap.parse_args()

    train_labels, train_texts = read_tsv(args.data / "train.tsv")
    if args.holdout:
        held = _held_out(train_texts, args.data.parent / "parallel", args.holdout)
        fit_idx = [i for i, h in enumerate(held) if not h]
        val_idx = [i for i, h in enumerate(held) if h]
        w, b = _train([train_texts[i] for i in fit_idx], [train_labels[i] for i in fit_idx], args)
        _report([train_labels[i] for i in val_idx], [train_texts[i] for i in val_idx], w, b, args)
        return
    w, b = _train(train_texts, train_labels, args)
    np.savez_compressed(
        args.out,
        weights=w.astype(np.float16),
        bias=b.astype(np.float32),
        bits=np.array(args.bits),
        orders=np.array(_features.ORDERS),
        labels=np.array(LABELS),
        words=np.array(args.words),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")

    dev_labels, dev_texts = read_tsv(args.data / "dev.tsv")
    _report(dev_labels, dev_texts, w, b, args)


def _held_out(texts: list[str], parallel: Path, share: float) -> list[bool]:
    """Which train lines to validate on: whole Wikipedia articles for NLLB-Seed lines.

    dev/test were split by article, so a random slice of train would let a model score by
    remembering article-specific names; grouping by the article URL (from the multiway file)
    keeps that leak out. Other lines are grouped by their own text. Deterministic (CRC32).
    """
    article: dict[str, str] = {}
    path = parallel / "nllb_seed_multiway.train.tsv"
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                for col in ("ary_Arab", "zgh_Tfng", "taq_Tfng", "taq_Latn"):
                    if row.get(col):
                        article[row[col].strip()] = row["url"]
    buckets = round(1 / share)
    return [zlib.crc32(article.get(t.strip(), t).encode()) % buckets == 0 for t in texts]


def _train(
    texts: list[str], labels: list[str], args: argparse.Namespace
) -> tuple[np.ndarray, np.ndarray]:
    """(weights ``(2**bits, labels)``, bias) of the chosen model."""
    y = np.array([LABELS.index(lab) for lab in labels])
    batch = _features.encode(texts)
    if args.model == "nb":
        return naive_bayes(_count_matrix(batch, args), y, args.alpha)
    x = _features.feature_matrix(batch, args.bits, args.words)
    w, b = fit(x, y, _weights(y, args.class_power), args.l2, args.iters)
    if args.model == "ensemble":
        w = w + args.nb_weight * naive_bayes(_count_matrix(batch, args), y, args.alpha)[0]
    return w, b


def _count_matrix(batch: _features.EncodedBatch, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Unscaled bucket counts (lines x 2**bits): naive Bayes counts occurrences."""
    mats, _ = _features.order_matrices(batch, args.bits, args.words)
    total = mats[0]
    for mat in mats[1:]:
        total = total + mat
    return total[:, : 1 << args.bits].tocsr()


def naive_bayes(x, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Multinomial naive Bayes as a linear model: ``W[f, c] = log P(f | c)``, zero bias.

    Each row of W is centred (its mean over labels subtracted): that adds the same amount to
    every label's score, so decisions are unchanged, and keeps values small for float16.
    The prior is uniform: train label frequencies are an artefact of what sources exist.
    """
    onehot = np.zeros((len(y), len(LABELS)))
    onehot[np.arange(len(y)), y] = 1.0
    counts = np.asarray(x.T @ onehot) + alpha
    logp = np.log(counts) - np.log(counts.sum(axis=0, keepdims=True))
    logp -= logp.mean(axis=1, keepdims=True)
    return logp, np.zeros(len(LABELS))


def _weights(y: np.ndarray, power: float) -> np.ndarray:
    """Inverse-frequency weights to a power (0.5: small confusable labels are not drowned)."""
    counts = np.bincount(y, minlength=len(LABELS)).astype(float)
    return (counts.max() / counts[y]) ** power


def _report(
    labels: list[str], texts: list[str], w: np.ndarray, b: np.ndarray, args: argparse.Namespace
) -> None:
    """Per-label F1 of the float16-rounded weights (what ships), macro last."""
    x = _features.feature_matrix(_features.encode(texts), args.bits, args.words)
    pred = [LABELS[i] for i in np.argmax(x @ w.astype(np.float16).astype(np.float32) + b, axis=1)]
    for lab, val in f1_report(labels, pred).items():
        print(f"{lab:10s} {val:.4f}")


if __name__ == "__main__":
    main()
