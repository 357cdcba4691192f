"""Language identification over the 12 Moroccan-context labels, plus ``und``.

Model: hashed character 1-5-grams and whole words of folded text, plus shared features for
closed-class marker words (`lid_markers`) and FineWeb-2 web word lists (`lid_weblex`), one
linear layer whose weights are a softmax regression plus naive Bayes log-probabilities
(trained by `scripts/train_lid.py`, shipped as ``lid_model.npz``). Decisions around the model:

* ``und`` with probability 1.0 when a line has fewer than `MIN_LETTERS` letters in Latin,
  Arabic or Tifinagh script once URLs, e-mails, handles and bare numbers are blanked (digits,
  emoji, punctuation only), or when letters of another script (Cyrillic, CJK...) outnumber them.
* Labels are restricted to the line's dominant script (an Arabic-script line is never
  ``fra_Latn``), which removes a whole class of cross-script errors on short lines.
* Scores are divided by a temperature that depends on the line's length in words (one per
  bucket of `LENGTH_EDGES`, fitted on held-out train lines by `scripts/train_lid.py`): a
  three-word line and a thirty-word line are not equally certain, and one temperature for
  both left long lines under-confident.
* When the best probability is under `min_confidence`, ``und`` is put first with probability
  ``1 - best`` and the model's guesses follow, so callers can still see them.

Only the first `_features.MAX_CHARS` characters are looked at; use `segments` for long mixed text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from agadir.lang import _features, _lid_scores
from agadir.lang.errors import LangInputError, LangModelError
from agadir.lang.labels import SCRIPT_ARAB, SCRIPT_LATN, SCRIPT_TFNG, UND, script_of

MIN_LETTERS = 2
DEFAULT_MIN_CONFIDENCE = 0.3
#: Upper bounds (in whitespace-separated words) of the calibration length buckets: <= 3, 4-8,
#: > 8. The same buckets as the training reports (`scripts/lid_data.BUCKETS`).
LENGTH_EDGES = (3, 8)
_ARTEFACT = "lid_model.npz"


@dataclass(frozen=True)
class LidModel:
    """Loaded weights: ``weights`` has one extra zero row for separator-crossing n-grams."""

    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    bits: int
    labels: tuple[str, ...]
    label_scripts: npt.NDArray[np.int64]
    words: int = 0
    #: Feature version 2 folds characters and adds marker-word features (see `_fold`,
    #: `lid_markers`); 3 adds the web word-list features (`lid_weblex`); version 1 is the
    #: pre-folding model. Older versions stay loadable, for benchmarks against them.
    features: int = 1
    #: One temperature per length bucket (`LENGTH_EDGES`); ones for artefacts that shipped
    #: their temperature folded into the weights.
    temperatures: tuple[float, ...] = (1.0, 1.0, 1.0)
    #: Per-script copies of the weight columns for the inference path (`_lid_scores`),
    #: derived here so that any artefact of this format gets them.
    tables: tuple[_lid_scores.ScriptTable, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tables = _lid_scores.script_tables(self.weights, self.label_scripts)
        object.__setattr__(self, "tables", tables)

    def inverse_temperature(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """``1 / T`` per line, from its word count (a line without words counts as short)."""
        cut = _features.MAX_CHARS
        n_words = np.fromiter(
            (len(t[:cut].split()) for t in texts), dtype=np.intp, count=len(texts)
        )
        return self.inverse_temperature_of(n_words)

    def inverse_temperature_of(self, n_words: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """``1 / T`` for lines of ``n_words`` words (`_features.encode` counts them)."""
        inv = 1.0 / np.asarray(self.temperatures, dtype=np.float64)
        return inv[np.searchsorted(np.asarray(LENGTH_EDGES), n_words, side="left")]

    def logits(self, batch: _features.EncodedBatch) -> npt.NDArray[np.float64]:
        """Raw scores ``(n_lines, n_labels)``; the same arithmetic as training.

        `probabilities` does not call it: `_lid_scores.script_logits` computes the same
        numbers for each line's own script only, faster; this stays as their reference.
        """
        mats, scale = _features.order_matrices(
            batch, self.bits, self.words, markers=self.features >= 2, web=self.features >= 3
        )
        z = np.zeros((batch.n_lines, len(self.labels)), dtype=np.float64)
        for mat in mats:
            z += mat @ self.weights
        return z * scale[:, None] + self.bias


@lru_cache(maxsize=1)
def load_model() -> LidModel:
    """Load the packaged artefact once per process (lazy: nothing is read at import time)."""
    ref = resources.files("agadir.lang").joinpath(_ARTEFACT)
    with resources.as_file(ref) as path:
        return load_model_file(path)


def load_model_file(path: Path) -> LidModel:
    """Load an LID artefact from a file (the packaged one, or an older one to compare with)."""
    try:
        with np.load(path) as npz:
            w16 = npz["weights"]
            bits = int(npz["bits"])
            labels = tuple(str(x) for x in npz["labels"])
            orders = tuple(int(x) for x in npz["orders"])
            bias = npz["bias"].astype(np.float32)
            words = int(npz["words"]) if "words" in npz.files else 0
            features = int(npz["features"]) if "features" in npz.files else 1
            temps = (
                tuple(float(x) for x in npz["temperatures"])
                if "temperatures" in npz.files
                else (1.0,) * (len(LENGTH_EDGES) + 1)
            )
    except (OSError, KeyError, ValueError) as exc:
        raise LangModelError(
            f"LID model {_ARTEFACT} is missing or corrupt ({exc}); "
            "rebuild it with `python scripts/train_lid.py`."
        ) from exc
    if orders != _features.ORDERS or w16.shape != (1 << bits, len(labels)):
        raise LangModelError(f"LID model {_ARTEFACT} does not match this code; rebuild it.")
    weights = np.vstack([w16.astype(np.float32), np.zeros((1, len(labels)), np.float32)])
    scripts = np.array([script_of(lab) for lab in labels], dtype=np.int64)
    if len(temps) != len(LENGTH_EDGES) + 1:
        raise LangModelError(f"LID model {_ARTEFACT} does not match this code; rebuild it.")
    return LidModel(weights, bias, bits, labels, scripts, words, features, temps)


def _check_texts(texts: Sequence[str]) -> None:
    if set(map(type, texts)) <= {str}:  # the common case, without a Python-level loop
        return
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise LangInputError(f"text #{i} is {type(t).__name__}, expected str", param="text")


def probabilities(
    texts: Sequence[str], model: LidModel | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Script-masked label probabilities per line, and which lines are ``und`` outright."""
    _check_texts(texts)
    model = model or load_model()
    batch = _features.encode(list(texts), fold=model.features >= 2, count_words=True)
    assert batch.n_words is not None
    counts = _features.script_counts(batch)
    known = counts[:, [SCRIPT_LATN, SCRIPT_ARAB, SCRIPT_TFNG]]
    dominant = np.array([SCRIPT_LATN, SCRIPT_ARAB, SCRIPT_TFNG])[np.argmax(known, axis=1)]
    n_known = known.sum(axis=1)
    undetermined = (n_known < MIN_LETTERS) | (counts[:, 4] > n_known)
    # What `LidModel.logits` gives for the dominant script's labels, -inf for the others.
    z = _lid_scores.script_logits(
        batch,
        dominant,
        model.tables,
        model.bias,
        model.bits,
        model.words,
        markers=model.features >= 2,
        web=model.features >= 3,
    )
    z *= model.inverse_temperature_of(batch.n_words)[:, None]
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p, undetermined


def identify_batch(
    texts: Sequence[str], *, k: int = 3, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> list[list[tuple[str, float]]]:
    """Top-``k`` ``(label, probability)`` per text, best first; ``[("und", 1.0)]`` when no call."""
    if k < 1:
        raise LangInputError("k must be >= 1", param="k")
    if not texts:
        return []
    labels = load_model().labels
    p, undetermined = probabilities(texts)
    kk = min(k, p.shape[1])
    # Top-k by argpartition then a sort of k columns; the loop below touches Python lists only
    # (``tolist``), not numpy scalars, which halves its cost on large batches.
    top = (
        np.argpartition(-p, kk - 1, axis=1)[:, :kk]
        if kk < p.shape[1]
        else np.tile(np.arange(p.shape[1]), (len(texts), 1))
    )
    top_p = np.take_along_axis(p, top, axis=1)
    order = np.lexsort((top, -top_p), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    top_p = np.take_along_axis(top_p, order, axis=1)
    names = np.array(labels, dtype=object)[top].tolist()
    # Most rows need nothing but pairing names with probabilities (done by map/zip in C);
    # und lines, zero probabilities (other scripts) and low confidence are patched after.
    out: list[list[tuple[str, float]]] = list(map(list, map(zip, names, top_p.tolist())))
    special = undetermined | (top_p[:, -1] <= 0.0) | (top_p[:, 0] < min_confidence)
    for i in np.flatnonzero(special).tolist():
        if undetermined[i]:
            out[i] = [(UND, 1.0)]
            continue
        ranked = [(name, q) for name, q in out[i] if q > 0.0]
        if ranked[0][1] < min_confidence:
            ranked = [(UND, 1.0 - ranked[0][1]), *ranked[: k - 1]]
        out[i] = ranked
    return out


def identify(
    text: str, *, k: int = 3, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> list[tuple[str, float]]:
    """Top-``k`` ``(label, probability)`` for one text, best first (see module notes for und)."""
    return identify_batch([text], k=k, min_confidence=min_confidence)[0]


def best_labels(texts: Sequence[str], model: LidModel | None = None) -> list[str]:
    """The single best label per text, fastest path for corpus filtering and benchmarks."""
    if not texts:
        return []
    model = model or load_model()
    labels = (*model.labels, UND)
    p, undetermined = probabilities(texts, model)
    idx = np.argmax(p, axis=1)
    idx[undetermined] = len(labels) - 1
    return list(map(labels.__getitem__, idx.tolist()))
