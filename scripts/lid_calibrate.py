"""Per-length temperatures for the LID model (`train_lid.py`), fitted on held-out train lines.

The temperatures are fitted on a model trained on four fifths of train and scored on the fifth
left out (whole articles / texts, plus their crops), then stored in the artefact next to the
weights of the model trained on all of train. The four-fifths model is cached
(`save_part_model`), so the temperatures can be refitted (``train_lid.py --recalibrate``)
without training again: only the ``temperatures`` array of the artefact changes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from lid_data import Rows
from scipy import optimize

from agadir.lang.labels import LABELS
from agadir.lang.lid import LENGTH_EDGES, LidModel, probabilities


def save_part_model(path: Path, w: np.ndarray, b: np.ndarray) -> None:
    """Keep the four-fifths model (float16 weights, as shipped) for later recalibration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, weights=w.astype(np.float16), bias=b.astype(np.float32))


def load_part_model(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(W, b)`` saved by `save_part_model`; a clear message when there is none."""
    if not path.is_file():
        raise SystemExit(f"no cached four-fifths model at {path}: run train_lid.py once first")
    with np.load(path) as npz:
        return npz["weights"].astype(np.float32), npz["bias"].astype(np.float32)


def fit_temperatures(model: LidModel, val: Rows) -> tuple[float, ...]:
    """One temperature per length bucket, minimising held-out NLL within the bucket.

    ``val`` is held-out train (whole articles/texts) plus its crops: long lines come only from
    natural lines, short ones from both, so each bucket is calibrated on lines of its own
    length. A single temperature fitted on the mix was set by the over-confident short crops
    and left full-length lines under-confident (dev ECE 0.138).

    In the short bucket, crops and natural lines are weighted half and half: crops of formal
    MSA / NLLB-Seed Darija are often undecidable (the held-out model gets some confidently
    wrong), natural short lines (Tatoeba, DODa) are mostly easy. Fitted on crops alone (the
    previous rule, 12.7) the temperature left natural short lines at a mean top probability
    of 0.45 for an accuracy of 0.97 (dev ECE 0.53).
    """
    y = np.array([LABELS.index(lab) for lab in val.labels])
    z_all = np.log(np.maximum(probabilities(val.texts, model)[0], 1e-300))
    which = np.searchsorted(np.asarray(LENGTH_EDGES), [len(t.split()) for t in val.texts])
    crop = np.asarray(val.crop, dtype=bool)
    out = []
    for k in range(len(LENGTH_EDGES) + 1):
        mask = which == k
        z, yk, ck = z_all[mask], y[mask], crop[mask]
        # Half the weight on crops, half on natural lines, when the bucket has both.
        wk = np.where(ck, 0.5 / max(ck.sum(), 1), 0.5 / max((~ck).sum(), 1))
        if ck.all() or not ck.any():
            wk = np.full(len(yk), 1.0 / max(len(yk), 1))

        def nll(t: float, z: np.ndarray = z, yk: np.ndarray = yk, wk: np.ndarray = wk) -> float:
            zt = z / t
            zt -= zt.max(axis=1, keepdims=True)
            logp = zt - np.log(np.exp(zt).sum(axis=1, keepdims=True))
            return float(-(wk * logp[np.arange(len(yk)), yk]).sum())

        res = optimize.minimize_scalar(nll, bounds=(0.2, 20.0), method="bounded")
        print(
            f"length bucket {k} ({len(yk)} held-out lines, {ck.sum()} crops): temperature "
            f"{res.x:.3f}, NLL {nll(1.0):.4f} -> {res.fun:.4f}"
        )
        out.append(float(res.x))
    return tuple(out)
