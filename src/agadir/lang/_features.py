"""Vectorised hashed character n-grams and per-line script counts for a batch of lines.

The whole batch is joined into one UTF-32 array, so hashing n-grams, counting scripts and
mapping n-grams to line rows are numpy operations over the batch, not Python loops over
characters: this is what makes batch identification run at tens of thousands of lines per
second on one core. It does not tokenise words; word-level cues come from n-grams that span
the space padding around each word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy import sparse

from agadir.lang.labels import SCRIPT_ARAB, SCRIPT_LATN, SCRIPT_OTHER, SCRIPT_TFNG

#: n-gram orders used by the model; the rebuild script and inference must agree.
ORDERS: tuple[int, ...] = (1, 2, 3, 4, 5)
#: Characters of a line the model looks at: enough to decide, bounded cost on 1 MB lines.
MAX_CHARS = 400

_URLISH = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|[@#]\w+", re.IGNORECASE)
# Digits and symbols carry no language signal here; Arabizi digits 2 3 5 7 8 9 inside words do,
# so only digit runs that stand alone are blanked.
_BARE_NUMBERS = re.compile(r"(?<![^\W\d_])\d[\d.,:/%-]*(?![^\W\d_])")
_P1 = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def clean_line(text: str) -> str:
    """Lower-case, cut to `MAX_CHARS`, and blank URLs, e-mails, handles and bare numbers.

    Blanking (same length) rather than deleting keeps character offsets valid for `segments`.
    """
    text = text[:MAX_CHARS].lower()
    if "\n" in text or "\r" in text or "\t" in text:
        text = text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return _BARE_NUMBERS.sub(_blank, _URLISH.sub(_blank, text))


@dataclass(frozen=True)
class EncodedBatch:
    """A batch as one code-point array; line ``i`` is ``codes[starts[i]:starts[i] + len_i]``."""

    codes: npt.NDArray[np.uint64]
    starts: npt.NDArray[np.intp]
    n_lines: int


def encode(texts: list[str]) -> EncodedBatch:
    """Join cleaned lines as ``\\n line0 \\n line1 \\n...`` into one uint64 code-point array."""
    cleaned = [clean_line(t) for t in texts]
    joined = "\n " + " \n ".join(cleaned) + " \n" + "\n" * (max(ORDERS) + 1)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) + 3 for t in cleaned), dtype=np.intp, count=len(cleaned))
    starts = np.empty(len(cleaned), dtype=np.intp)
    if len(cleaned):
        starts[0] = 1
        np.cumsum(lengths[:-1], out=starts[1:])
        starts[1:] += 1
    return EncodedBatch(codes=codes, starts=starts, n_lines=len(cleaned))


def ngram_buckets(batch: EncodedBatch, bits: int) -> list[npt.NDArray[np.intp]]:
    """For each order, the bucket of the n-gram starting at every position (``2**bits`` = none).

    N-grams that cross a line separator are sent to the extra bucket ``2**bits``, whose weight
    row is zero, so per-line sums need no masking.
    """
    codes = batch.codes
    is_sep = (codes == 10).astype(np.int32)
    csum = np.concatenate(([0], np.cumsum(is_sep)))
    none = 1 << bits
    shift = np.uint64(64 - bits)
    out: list[npt.NDArray[np.intp]] = []
    h = codes * _P1 + np.uint64(0x84222325)
    prev_order = 1
    for order in ORDERS:
        while prev_order < order:
            h = h[:-1] * _P1 + codes[prev_order:]
            prev_order += 1
        mixed = (h ^ np.uint64(order * 0x51ED27)) * _MIX
        bucket = (mixed >> shift).astype(np.intp)
        n = len(h)
        crosses = (csum[order : order + n] - csum[:n]) > 0
        bucket[crosses] = none
        out.append(bucket)
    return out


def order_matrices(batch: EncodedBatch, bits: int) -> tuple[list[sparse.csr_matrix], np.ndarray]:
    """Per-order count matrices (lines x ``2**bits + 1``) and each line's 1/sqrt(n-gram count).

    The matrices share the batch layout, so they are built from index arrays without sorting;
    column ``2**bits`` collects separator-crossing n-grams and must have a zero weight row.
    """
    none = 1 << bits
    mats: list[sparse.csr_matrix] = []
    valid = np.zeros(batch.n_lines, dtype=np.float64)
    first = int(batch.starts[0]) if batch.n_lines else 0
    for bucket in ngram_buckets(batch, bits):
        cols = bucket[first:]
        indptr = np.concatenate((batch.starts - first, [len(cols)])).astype(np.int64)
        data = np.ones(len(cols), dtype=np.float32)
        mat = sparse.csr_matrix((data, cols, indptr), shape=(batch.n_lines, none + 1))
        mats.append(mat)
        if batch.n_lines:
            valid += np.add.reduceat((bucket < none).astype(np.float64), batch.starts)
    return mats, 1.0 / np.sqrt(np.maximum(valid, 1.0))


def feature_matrix(batch: EncodedBatch, bits: int) -> sparse.csr_matrix:
    """Training design matrix: summed per-order counts, row-scaled, pad column dropped."""
    mats, scale = order_matrices(batch, bits)
    total = mats[0]
    for mat in mats[1:]:
        total = total + mat
    return sparse.diags(scale).dot(total[:, : 1 << bits]).tocsr()


@lru_cache(maxsize=1)
def script_table() -> npt.NDArray[np.uint8]:
    """Script code (0 = not a letter) of every BMP code point; built once per process."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for cp in range(0x10000):
        ch = chr(cp)
        if not unicodedata.category(ch).startswith("L"):
            continue
        if 0x2D30 <= cp <= 0x2D7F:
            table[cp] = SCRIPT_TFNG
        elif 0x0600 <= cp <= 0x08FF or 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF:
            table[cp] = SCRIPT_ARAB
        elif unicodedata.name(ch, "").startswith("LATIN"):
            table[cp] = SCRIPT_LATN
        else:
            table[cp] = SCRIPT_OTHER
    return table


def script_counts(batch: EncodedBatch) -> npt.NDArray[np.int64]:
    """Letters per script per line: array ``(n_lines, 5)``, column = script code (0 unused)."""
    codes = batch.codes
    scripts = script_table()[np.minimum(codes, 0xFFFF).astype(np.intp)]
    scripts[codes > 0xFFFF] = 0  # emoji and other astral symbols are not letters here
    counts = np.zeros((batch.n_lines, 5), dtype=np.int64)
    if batch.n_lines == 0:
        return counts
    for code in (SCRIPT_LATN, SCRIPT_ARAB, SCRIPT_TFNG, SCRIPT_OTHER):
        counts[:, code] = np.add.reduceat((scripts == code).astype(np.int64), batch.starts)
    return counts
