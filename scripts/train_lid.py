"""Rebuild the packaged LID model `src/agadir/lang/lid_model.npz` from ../shared/data/lid.

Hashed character 1-5-grams (see `agadir.lang._features`) feed a multinomial logistic regression
fitted by full-batch L-BFGS with an L2 penalty. Everything is deterministic: fixed hashing,
zero initialisation, no sampling, so the same data gives the same weights bit for bit.

    python scripts/train_lid.py [--data ../shared/data/lid] [--bits 18] [--l2 1e-5]

Prints dev macro-F1 and per-label F1 so a change of hyper-parameters can be judged on dev.
"""

from __future__ import annotations

import argparse
import csv
import sys
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
    args = ap.parse_args()

    train_labels, train_texts = read_tsv(args.data / "train.tsv")
    y = np.array([LABELS.index(lab) for lab in train_labels])
    counts = np.bincount(y, minlength=len(LABELS)).astype(float)
    # Inverse-sqrt frequency weights: small confusable labels (arz, arq) are not drowned.
    weights = (counts.max() / counts[y]) ** 0.5
    x = _features.feature_matrix(_features.encode(train_texts), args.bits)
    w, b = fit(x, y, weights, args.l2, args.iters)
    np.savez_compressed(
        args.out,
        weights=w.astype(np.float16),
        bias=b.astype(np.float32),
        bits=np.array(args.bits),
        orders=np.array(_features.ORDERS),
        labels=np.array(LABELS),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")

    dev_labels, dev_texts = read_tsv(args.data / "dev.tsv")
    xd = _features.feature_matrix(_features.encode(dev_texts), args.bits)
    pred = [LABELS[i] for i in np.argmax(xd @ w.astype(np.float16).astype(np.float32) + b, axis=1)]
    rep = f1_report(dev_labels, pred)
    for lab, val in rep.items():
        print(f"{lab:10s} {val:.4f}")


if __name__ == "__main__":
    main()
