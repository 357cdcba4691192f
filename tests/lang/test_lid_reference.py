"""LID inference is held to a frozen reference: speed work must not move a probability.

`scripts/freeze_lid_reference.py` froze, with the code as it was before the throughput work of
issue 12, each reference line's feature vector and every dev line's feature digest. Here the
features are recomputed by the training path (`_features.feature_matrix`'s inputs) and must
match exactly; the served probabilities (`lid.probabilities`, the fast path) must equal the
plain linear model over those frozen features within 1e-5 (float32 sums vs float64), whatever
artefact is installed, and equal the frozen probabilities themselves while the artefact is the
one they were frozen with. The reference was refrozen on purpose for feature version 3 (web
word lists, `lid_weblex`), with the code that passed it for version 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy import sparse

from agadir.lang import _features, _lid_scores
from agadir.lang.labels import SCRIPT_ARAB, SCRIPT_LATN, SCRIPT_TFNG
from agadir.lang.lid import (
    MIN_LETTERS,
    LidModel,
    best_labels,
    identify_batch,
    load_model,
    probabilities,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from freeze_lid_reference import ARTEFACT, feature_digests, line_features, sha256  # noqa: E402
from lid_data import default_data  # noqa: E402

DEV = default_data() / "lid" / "dev.tsv"
FROZEN = json.loads((Path(__file__).parent / "data" / "lid_reference.json").read_text("utf-8"))
TOL = 1e-6
#: Served (float32 per-feature-set sums) vs the plain float64 model. A long line's unscaled
#: per-set sum reaches ~600, where float32 spacing is 6e-5: after the 1/sqrt(features) scale
#: logits differ by ~1e-5 and probabilities by up to ~1.5e-6 (the web-lexicon model's worst
#: dev line); a dropped or doubled feature moves them by orders of magnitude more.
TOL_F64 = 1e-5


def _texts() -> list[str]:
    return [
        x["text"] if isinstance(x["text"], str) else x["text"]["repeat"] * x["text"]["times"]
        for x in FROZEN["lines"]
    ]


def _linear_model(
    model: LidModel,
    counts: sparse.csr_matrix,
    scale: npt.NDArray[np.float64],
    inv_t: npt.NDArray[np.float64],
    scripts: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The model written out plainly in float64: what `probabilities` must compute."""
    w = model.weights[: 1 << model.bits].astype(np.float64)
    z = (counts @ w) * scale[:, None] + model.bias.astype(np.float64)
    z *= inv_t[:, None]
    known = scripts[:, [SCRIPT_LATN, SCRIPT_ARAB, SCRIPT_TFNG]]
    dominant = np.array([SCRIPT_LATN, SCRIPT_ARAB, SCRIPT_TFNG])[np.argmax(known, axis=1)]
    n_known = known.sum(axis=1)
    und = (n_known < MIN_LETTERS) | (scripts[:, 4] > n_known)
    z[model.label_scripts[None, :] != dominant[:, None]] = -np.inf
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True), und


def _csr(rows: list[tuple[Any, Any]], bits: int) -> sparse.csr_matrix:
    indptr = np.cumsum([0] + [len(c) for c, _ in rows])
    cols = np.concatenate([np.asarray(c, dtype=np.int64) for c, _ in rows])
    data = np.concatenate([np.asarray(n, dtype=np.float64) for _, n in rows])
    return sparse.csr_matrix((data, cols, indptr), shape=(len(rows), 1 << bits))


def test_format_is_the_frozen_one() -> None:
    model = load_model()
    assert (model.bits, model.words, model.features) == (
        FROZEN["bits"],
        FROZEN["words"],
        FROZEN["features"],
    ), "the feature format changed on purpose? rerun scripts/freeze_lid_reference.py"


def test_reference_lines_keep_their_features() -> None:
    model = load_model()
    feats = line_features(model, _texts())
    for got, want in zip(feats["rows"], FROZEN["lines"], strict=True):
        assert got[0].tolist() == want["cols"] and got[1].tolist() == want["counts"]
    assert np.allclose(feats["scale"], [x["scale"] for x in FROZEN["lines"]], rtol=0, atol=0)
    inv_t = [x["inv_temperature"] for x in FROZEN["lines"]]
    assert feats["inv_temperature"].tolist() == inv_t
    assert feats["scripts"].tolist() == [x["scripts"] for x in FROZEN["lines"]]


def test_reference_lines_probabilities() -> None:
    model = load_model()
    lines = FROZEN["lines"]
    want, want_und = _linear_model(
        model,
        _csr([(x["cols"], x["counts"]) for x in lines], model.bits),
        np.array([x["scale"] for x in lines]),
        np.array([x["inv_temperature"] for x in lines]),
        np.array([x["scripts"] for x in lines]),
    )
    got, und = probabilities(_texts(), model)
    assert und.tolist() == want_und.tolist() == [x["undetermined"] for x in lines]
    assert np.abs(got - want).max() <= TOL_F64
    if sha256(ARTEFACT) == FROZEN["artefact_sha256"]:
        frozen = np.array([x["probabilities"] for x in lines])
        assert np.abs(got - frozen).max() <= TOL


def test_a_line_scores_the_same_alone_and_in_any_batch() -> None:
    texts = _texts()
    together, und = probabilities(texts)
    for i, text in enumerate(texts):
        alone, alone_und = probabilities([text])
        assert np.abs(alone[0] - together[i]).max() <= TOL and alone_und[0] == und[i]
    # U+001E in a line sends the whole batch down the per-line cleaning path.
    per_line, _ = probabilities([*texts, "\x1e salam"])
    assert np.abs(per_line[: len(texts)] - together).max() <= TOL
    top = identify_batch(texts)
    assert [labels[0][0] for labels in top][:4] == ["und"] * 4
    best = np.array(load_model().labels)[together.argmax(axis=1)]
    assert best_labels(texts) == ["und" if u else b for u, b in zip(und, best, strict=True)]


@pytest.mark.skipif(not DEV.is_file(), reason="shared data not present")
def test_every_dev_line_keeps_features_and_probabilities() -> None:
    frozen = np.load(Path(__file__).parent / "data" / "lid_reference_dev.npz")
    if sha256(DEV) != str(frozen["dev_sha256"]):
        pytest.skip("dev.tsv is not the one the reference was frozen from")
    texts = _dev_texts()
    model = load_model()
    feats = line_features(model, texts)
    assert np.array_equal(feature_digests(feats), frozen["digests"])
    want, want_und = _linear_model(
        model, _csr(feats["rows"], model.bits), feats["scale"], feats["inv_temperature"],
        feats["scripts"],
    )  # fmt: skip
    got, und = probabilities(texts, model)
    assert np.array_equal(und, want_und) and np.array_equal(und, frozen["undetermined"])
    assert np.abs(got - want).max() <= TOL_F64
    if sha256(ARTEFACT) == str(frozen["artefact_sha256"]):
        assert np.array_equal(got.argmax(axis=1), frozen["top"])
        assert np.abs(got.max(axis=1) - frozen["top_p"]).max() <= TOL


def test_lowering_the_joined_batch_is_lowering_each_line() -> None:
    """Greek final sigma is the one context-dependent lower(): U+001E must stop its context."""
    lines = ["ΟΔΟΣ", "Σ", "ΣΑΣ ΑΣ\u0301", "İSTANBUL", "ΑΣ", "Σ.", "ΣΟΦΙΑ ΚΑΙ ΛΟΓΟΣ"]
    batched, _ = probabilities(lines)
    per_line, _ = probabilities([*lines, "\x1e"])  # forces the per-line cleaning path
    assert np.array_equal(batched, per_line[: len(lines)])
    for i, line in enumerate(lines):
        assert np.array_equal(probabilities([line])[0][0], batched[i])


def _dev_texts() -> list[str]:
    if not DEV.is_file():
        return []
    return [line.split("\t", 1)[1] for line in DEV.read_text("utf-8").splitlines() if line]


def test_script_scores_are_the_full_scores_bit_for_bit() -> None:
    """The served path gathers only the dominant script's columns: same numbers exactly."""
    model = load_model()
    texts = [*_texts(), *_dev_texts()]
    batch = _features.encode(texts, fold=model.features >= 2)
    known = _features.script_counts(batch)[:, [SCRIPT_LATN, SCRIPT_ARAB, SCRIPT_TFNG]]
    dominant = np.array([SCRIPT_LATN, SCRIPT_ARAB, SCRIPT_TFNG])[np.argmax(known, axis=1)]
    markers, web = model.features >= 2, model.features >= 3
    fast = _lid_scores.script_logits(
        batch, dominant, model.tables, model.bias, model.bits, model.words, markers, web
    )
    kept = model.label_scripts[None, :] == dominant[:, None]
    assert np.array_equal(np.isfinite(fast), kept)
    assert np.array_equal(fast[kept], model.logits(batch)[kept])
