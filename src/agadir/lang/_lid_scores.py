"""LID scores of a batch, computed script by script: the inference path of `lid.LidModel`.

A line's labels are restricted to its dominant script, so the scores of the other scripts'
labels are never used. Summing a line's n-gram weights is a random gather in the weight
table (``2**bits`` rows x 12 labels, float32: 12 MB, more than the L2 and L3 caches hold);
gathering only the 4 Arabic-script (or 6 Latin, 2 Tifinagh) columns from a table of those
columns alone touches a third of the memory and halved that step. To keep each script's lines
contiguous, the encoded batch is first reordered by dominant script (a stable reorder of whole
line segments: the n-gram and word hashes do not depend on a line's position).

It computes exactly what `lid.LidModel.logits` computes for the kept labels: the same float32
per-feature-set sums in the same order, added in float64 in the same order, then scaled and
shifted by the bias the same way (``tests/lang/test_lid_reference.py``). It does not build the
training design matrix; `_features.order_matrices` stays the reference for training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from agadir.lang import _features


@dataclass(frozen=True)
class ScriptTable:
    """The weight columns of one script's labels, contiguous (derived at load time)."""

    script: int
    labels: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float32]


def script_tables(
    weights: npt.NDArray[np.float32], label_scripts: npt.NDArray[np.int64]
) -> tuple[ScriptTable, ...]:
    """One `ScriptTable` per script that has labels, from the full weight table."""
    out = []
    for script in np.unique(label_scripts).tolist():
        cols = np.flatnonzero(label_scripts == script)
        out.append(ScriptTable(script, cols, np.ascontiguousarray(weights[:, cols])))
    return tuple(out)


def _reorder(
    batch: _features.EncodedBatch, order: npt.NDArray[np.intp], seg_len: npt.NDArray[np.intp]
) -> _features.EncodedBatch:
    """The batch with its lines (each `` text \\n`` segment) in ``order``."""
    lens = seg_len[order]
    offsets = np.cumsum(lens) - lens
    src = np.arange(int(lens.sum()), dtype=np.intp) + np.repeat(batch.starts[order] - offsets, lens)
    tail = max(_features.ORDERS) + 1  # the "\n" padding after the last line's separator
    codes = np.empty(len(src) + 1 + tail, dtype=batch.codes.dtype)
    codes[0] = 10
    codes[1 : 1 + len(src)] = batch.codes[src]
    codes[1 + len(src) :] = 10
    return _features.EncodedBatch(codes=codes, starts=offsets + 1, n_lines=batch.n_lines)


def _stacked_sums(
    blocks: Sequence[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]],
    n_cols: int,
    weights: npt.NDArray[np.float32],
) -> npt.NDArray[np.float64]:
    """Sum of ``weights`` rows per line for each feature set, added up in float64.

    ``blocks`` are ``(columns, indptr)`` of the same lines, one per feature set. They are
    stacked into one count matrix (one construction and one product instead of seven), and
    the per-set float32 sums are added in the order of ``blocks``, as `lid.LidModel.logits`
    adds its per-set products.
    """
    n_lines = len(blocks[0][1]) - 1
    sizes = [len(cols) for cols, _ in blocks]
    index_type = np.int32 if sum(sizes) < 2**31 else np.int64  # scipy's choice, made once
    indices = np.empty(sum(sizes), dtype=index_type)
    indptr = np.empty(len(blocks) * n_lines + 1, dtype=index_type)
    at = 0
    for i, (cols, ptr) in enumerate(blocks):
        indices[at : at + sizes[i]] = cols
        indptr[i * n_lines : (i + 1) * n_lines] = ptr[:-1] + at
        at += sizes[i]
    indptr[-1] = at
    data = np.ones(at, dtype=np.float32)
    shape = (len(blocks) * n_lines, n_cols)
    per_set = sparse.csr_matrix((data, indices, indptr), shape=shape) @ weights
    acc = np.zeros((n_lines, weights.shape[1]))
    for i in range(len(blocks)):
        acc += per_set[i * n_lines : (i + 1) * n_lines]
    return acc


def script_logits(
    batch: _features.EncodedBatch,
    dominant: npt.NDArray[np.int64],
    tables: Sequence[ScriptTable],
    bias: npt.NDArray[np.float32],
    bits: int,
    words: int,
    markers: bool,
    web: bool = False,
) -> npt.NDArray[np.float64]:
    """Scores ``(n_lines, n_labels)`` of each line's dominant-script labels; ``-inf`` elsewhere."""
    n = batch.n_lines
    z = np.full((n, len(bias)), -np.inf)
    if n == 0:
        return z
    seps = _features._separators(batch.codes)
    line_end = seps[np.searchsorted(seps, batch.starts)]
    order = np.argsort(dominant, kind="stable")
    if np.any(order[1:] < order[:-1]):
        batch = _reorder(batch, order, line_end - batch.starts + 1)
        seps = _features._separators(batch.codes)
        line_end = seps[np.searchsorted(seps, batch.starts)]
    scripts = dominant[order]
    buckets = _features.ngram_buckets(batch, bits, seps)
    word_sets = _features.word_buckets(batch, bits, words, markers, web) if words else []
    word_ptrs = [np.searchsorted(rows, np.arange(n + 1)) for _, rows in word_sets]
    scale = _features.row_scale(line_end - batch.starts, [np.diff(p) for p in word_ptrs])
    seg_end = np.append(batch.starts[1:], line_end[-1] + 1)
    n_cols = (1 << bits) + 1
    for table in tables:
        a, b = np.searchsorted(scripts, [table.script, table.script + 1]).tolist()
        if a == b:
            continue
        lo = int(batch.starts[a])
        indptr = np.append(batch.starts[a:b], seg_end[b - 1]) - lo
        blocks = [(bucket[lo : lo + indptr[-1]], indptr) for bucket in buckets]
        for (cols, _), ptr in zip(word_sets, word_ptrs, strict=True):
            sub = ptr[a : b + 1]
            blocks.append((cols[sub[0] : sub[-1]], sub - sub[0]))
        acc = _stacked_sums(blocks, n_cols, table.weights)
        z[order[a:b, None], table.labels] = acc * scale[a:b, None] + bias[table.labels]
    return z
