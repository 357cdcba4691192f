"""Rebuild the packaged LID model `src/agadir/lang/lid_model.npz` from ../shared/data.

Hashed character 1-5-grams plus whole words, marker-word and web word-list features (see
`agadir.lang._features`, `_fold`, `lid_markers`, `lid_weblex`) over *folded* text (no
harakat, tatweel, hamza-seat or punctuation differences) feed a linear model. The default
(``--model ensemble``) adds a softmax regression fitted by full-batch L-BFGS (``logreg``) and
``--nb-weight`` times multinomial naive Bayes log-probabilities into one weight matrix, so
inference costs the same as either.

Training rows (`lid_data`): the shared LID train split, DODa Arabizi sentences transliterated
into Arabic script as conversational ``ary_Arab`` (source ``doda-translit``), and word-window
crops of long lines so every label has short lines; rows are weighted so that every label and,
within it, every length bucket weighs the same (``--class-power`` softens the label part).
The scores are divided by a temperature per length bucket (<= 3, 4-8, > 8 words) fitted on a
held-out fifth of train (whole articles / texts, plus their crops), so probabilities are
calibrated at every length; dev ECE is reported, overall and per bucket (`lid_calibrate`).

    python scripts/train_lid.py                  # rebuild + dev report (shared dev, DODa dev)
    python scripts/train_lid.py --loso           # + leave-one-source-out, writes nothing
    python scripts/train_lid.py --holdout 0.2    # model choices on train only, writes nothing
    python scripts/train_lid.py --recalibrate    # new temperatures only (cached 4/5 model)

Everything is deterministic (fixed hashing, seeded crops, zero-init L-BFGS), so the same data
gives the same weights bit for bit. Dev figures are a report, never used for choosing.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import optimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from lid_calibrate import fit_temperatures, load_part_model, save_part_model  # noqa: E402
from lid_data import (  # noqa: E402
    BUCKETS,
    DODA_TRANSLIT,
    Rows,
    bucket_of,
    crops,
    default_data,
    doda_translit,
    held_out,
    shared_split,
)
from lid_data import read_tsv as read_tsv  # noqa: E402  (re-exported for the benches)
from lid_eval import f1_report as f1_report  # noqa: E402
from lid_eval import report  # noqa: E402

from agadir.lang import _features  # noqa: E402
from agadir.lang.labels import LABELS, script_of  # noqa: E402
from agadir.lang.lid import LENGTH_EDGES, LidModel  # noqa: E402

OUT = ROOT / "src" / "agadir" / "lang" / "lid_model.npz"


def features_of(args: argparse.Namespace) -> int:
    """The artefact's feature version (`LidModel.features`): 3 with the web lexicon, else 2."""
    return 2 if args.no_web_lexicon else 3


def fit(  # type: ignore[no-untyped-def]
    x, y: np.ndarray, weights: np.ndarray, l2: float, iters: int
) -> tuple[np.ndarray, np.ndarray]:
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


def parser() -> argparse.ArgumentParser:
    """The training options with their defaults; the academy's lab 1 starts from these too, so a
    new option never leaves its settings incomplete."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=default_data())
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
    ap.add_argument("--no-doda", action="store_true", help="leave out DODa transliterated text")
    ap.add_argument("--no-crops", action="store_true", help="no short word-window crops")
    ap.add_argument(
        "--no-web-lexicon", action="store_true", help="no FineWeb-2 word-list features (v2)"
    )
    ap.add_argument(
        "--temperature", type=float, default=0.0, help="one for all lengths; 0 = fit per length"
    )
    ap.add_argument(
        "--part-cache",
        type=Path,
        default=ROOT / "build" / "lid_part_model.npz",
        help="where the four-fifths model used for calibration is kept (for --recalibrate)",
    )
    ap.add_argument(
        "--bucket-shares",
        default="1,1,1",
        help="relative weight of a label's <= 3, 4-8 and > 8-word lines (crops included)",
    )
    ap.add_argument("--holdout", type=float, default=0.0, help="validate on this share of train")
    ap.add_argument(
        "--recalibrate",
        action="store_true",
        help="refit the temperatures of --out from the cached four-fifths model, keep weights",
    )
    ap.add_argument("--loso", action="store_true", help="leave-one-source-out report only")
    ap.add_argument("--loso-iters", type=int, default=100)
    ap.add_argument("--loso-all", action="store_true", help="LOSO for every script, not Arabic")
    return ap


def main() -> None:
    args = parser().parse_args()
    if args.data.name == "lid":  # the old --data pointed at the lid folder itself
        args.data = args.data.parent

    train = training_rows(args, "train")
    if args.recalibrate:
        recalibrate(train, args)
        return
    if args.loso:
        leave_one_source_out(train, evaluation_rows(args), args)
        return
    if args.holdout:
        held = held_out(train, args.data / "parallel", args.holdout)
        w, b = train_model(train.subset([not h for h in held]), args)
        report(to_model(w, b, args), train.subset(held), "train holdout, natural lines")
        report(to_model(w, b, args), with_crops(train.subset(held), args), "train holdout")
        return
    temperatures, (w, b) = calibrate_and_train(train, args)
    write_and_report(w, b, temperatures, args)


def write_and_report(
    w: np.ndarray, b: np.ndarray, temperatures: tuple[float, ...], args: argparse.Namespace
) -> None:
    """Write the artefact (the npz format `agadir.lang.lid.load_model_file` reads), then report."""
    np.savez_compressed(
        args.out,
        weights=w.astype(np.float16),
        bias=b.astype(np.float32),
        bits=np.array(args.bits),
        orders=np.array(_features.ORDERS),
        labels=np.array(LABELS),
        words=np.array(args.words),
        features=np.array(features_of(args)),
        temperatures=np.array(temperatures),
    )
    shown = ", ".join(f"{t:.3f}" for t in temperatures)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), temperatures {shown}")
    model = to_model(w, b, args, temperatures)
    for title, rows in evaluation_rows(args).items():
        report(model, rows, title)


def recalibrate(train: Rows, args: argparse.Namespace) -> None:
    """New temperatures for the artefact at ``--out`` from the cached four-fifths model.

    The weights are read back from the artefact unchanged (float16 round-trips exactly), so
    only the calibration moves; it needs the same data and options as the training that wrote
    the cache.
    """
    held = held_out(train, args.data / "parallel", 0.2)
    part = to_model(*load_part_model(args.part_cache), args)
    temperatures = fit_temperatures(part, with_crops(train.subset(held), args))
    with np.load(args.out) as npz:
        w, b = npz["weights"], npz["bias"]
    write_and_report(w, b, temperatures, args)


def calibrate_and_train(
    train: Rows, args: argparse.Namespace
) -> tuple[tuple[float, ...], tuple[np.ndarray, np.ndarray]]:
    """Per-length temperatures (from a model trained on four fifths of train) and the model
    trained on all of train; the two trainings are independent, so they run in two processes.
    """
    if args.temperature:
        return (args.temperature,) * (len(LENGTH_EDGES) + 1), train_model(train, args)
    held = held_out(train, args.data / "parallel", 0.2)
    with ProcessPoolExecutor(max_workers=2) as pool:
        part = pool.submit(train_model, train.subset([not h for h in held]), args)
        full = pool.submit(train_model, train, args)
        save_part_model(args.part_cache, *part.result())
        val = with_crops(train.subset(held), args)
        temperatures = fit_temperatures(to_model(*part.result(), args), val)
        return temperatures, full.result()


def training_rows(args: argparse.Namespace, split: str) -> Rows:
    """Shared rows + DODa transliterated ``ary_Arab`` (unless ``--no-doda``); crops come later."""
    rows = shared_split(args.data, split)
    if not args.no_doda:
        rows = rows + doda_translit(args.data, split)
    return rows


def with_crops(rows: Rows, args: argparse.Namespace) -> Rows:
    """``rows`` plus their word-window crops (unless ``--no-crops``)."""
    return rows if args.no_crops else rows + crops(rows, "1234-crop-train")


def evaluation_rows(args: argparse.Namespace) -> dict[str, Rows]:
    """Dev sets: the shared dev split as is, its crops, and transliterated DODa dev sentences."""
    dev = shared_split(args.data, "dev")
    return {
        "dev.tsv": dev,
        "dev.tsv crops (<= 8 words)": crops(dev, "1234-crop-dev"),
        "DODa dev in Arabic script (+ dev.tsv Arabic-script lines of other labels)": (
            doda_translit(args.data, "dev")
            + dev.subset([script_of(x) == 2 and x != "ary_Arab" for x in dev.labels])
        ),
    }


def to_model(
    w: np.ndarray,
    b: np.ndarray,
    args: argparse.Namespace,
    temperatures: tuple[float, ...] = (1.0, 1.0, 1.0),
) -> LidModel:
    """The in-memory model exactly as it ships (float16 weights, zero pad row)."""
    w16 = w.astype(np.float16).astype(np.float32)
    weights = np.vstack([w16, np.zeros((1, len(LABELS)), np.float32)])
    scripts = np.array([script_of(lab) for lab in LABELS], dtype=np.int64)
    return LidModel(
        weights,
        b.astype(np.float32),
        args.bits,
        LABELS,
        scripts,
        args.words,
        features_of(args),
        tuple(temperatures),
    )


def leave_one_source_out(train: Rows, dev: dict[str, Rows], args: argparse.Namespace) -> None:
    """For every Arabic-script (source, label) whose label has another source (every script with
    ``--loso-all``): train without it, test on it.

    The left-out source's dev lines are scored together with every dev line of other labels,
    so the F1 counts both what the source's lines become and what other lines are taken for
    its label. Labels with a single source (arq_Arab, arz_Arab, Tifinagh...) cannot be left
    out: the model would not know the label at all.
    """
    args.iters = args.loso_iters
    pool = dev["dev.tsv"] + dev["dev.tsv crops (<= 8 words)"]
    pool = pool + dev[next(k for k in dev if k.startswith("DODa"))].subset(
        [s == DODA_TRANSLIT for s in dev[next(k for k in dev if k.startswith("DODa"))].sources]
    )
    groups = sorted(set(zip(train.sources, train.labels, strict=True)))
    per_label: dict[str, int] = {}
    for _, lab in groups:
        per_label[lab] = per_label.get(lab, 0) + 1
    print("\n| left-out source | label | dev lines | F1 all | F1 <=3 words | F1 4-8 | F1 >8 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for src, lab in groups:
        if script_of(lab) != 2 and not args.loso_all:
            continue
        if per_label[lab] < 2:
            print(f"| {src} | {lab} | - | n/a: only source of {lab} | | | |")
            continue
        keep = [
            not (s == src and x == lab) for s, x in zip(train.sources, train.labels, strict=True)
        ]
        w, b = train_model(train.subset(keep), args)
        model = to_model(w, b, args)
        test = pool.subset(
            [s == src or x != lab for s, x in zip(pool.sources, pool.labels, strict=True)]
        )
        from lid_eval import label_f1, predict

        pred, _ = predict(model, test.texts)
        cells = []
        for name in ("all", "<=3", "4-8", ">8"):
            idx = [i for i, t in enumerate(test.texts) if name == "all" or bucket_of(t) == name]
            n = sum(test.labels[i] == lab for i in idx)
            f1 = label_f1([test.labels[i] for i in idx], [pred[i] for i in idx], lab)
            cells.append(f"{f1:.3f}" if n else "-")
        n_src = sum(s == src and x == lab for s, x in zip(test.sources, test.labels, strict=True))
        print(f"| {src} | {lab} | {n_src} | " + " | ".join(cells) + " |", flush=True)


def train_model(rows: Rows, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """(weights ``(2**bits, labels)``, bias) of the chosen model, trained on rows + crops."""
    rows = with_crops(rows, args)
    y = np.array([LABELS.index(lab) for lab in rows.labels])
    batch = _features.encode(rows.texts)
    if args.model == "nb":
        return naive_bayes(_count_matrix(batch, args), y, args.alpha)
    web = features_of(args) >= 3
    x = _features.feature_matrix(batch, args.bits, args.words, markers=True, web=web)
    shares = tuple(float(v) for v in str(args.bucket_shares).split(","))
    w, b = fit(x, y, row_weights(rows, args.class_power, shares), args.l2, args.iters)
    if args.model == "ensemble":
        w = w + args.nb_weight * naive_bayes(_count_matrix(batch, args), y, args.alpha)[0]
    return w, b


def _count_matrix(batch: _features.EncodedBatch, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Unscaled bucket counts (lines x 2**bits): naive Bayes counts occurrences."""
    web = features_of(args) >= 3
    mats, _ = _features.order_matrices(batch, args.bits, args.words, markers=True, web=web)
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


def row_weights(
    rows: Rows, power: float, bucket_shares: tuple[float, ...] = (1.0, 1.0, 1.0)
) -> np.ndarray:
    """Label weight ``(max count / count) ** power``, split over the label's length buckets.

    By default every length bucket of a label carries the same total weight, so no label is
    "the short one" and no label owns long lines; ``bucket_shares`` (<= 3, 4-8, > 8 words)
    tilts that split, e.g. towards full-length lines, whose labels are the most certain.
    """
    labels = np.array([LABELS.index(lab) for lab in rows.labels])
    shares = dict(zip((name for name, _, _ in BUCKETS), bucket_shares, strict=True))
    counts = np.bincount(labels, minlength=len(LABELS)).astype(float)
    label_w = (counts.max() / np.maximum(counts, 1)) ** power
    keys = [(lab, bucket_of(t)) for lab, t in zip(rows.labels, rows.texts, strict=True)]
    per_key: dict[tuple[str, str], int] = {}
    for key in keys:
        per_key[key] = per_key.get(key, 0) + 1
    total_share: dict[str, float] = {}
    for lab, name in per_key:
        total_share[lab] = total_share.get(lab, 0.0) + shares[name]
    share = np.array(
        [
            counts[LABELS.index(lab)] * shares[name] / (total_share[lab] * per_key[(lab, name)])
            for lab, name in keys
        ]
    )
    return label_w[labels] * share


if __name__ == "__main__":
    main()
