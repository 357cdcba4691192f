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

from agadir.lang import _batch_clean, _probe
from agadir.lang._fold import fold_codes
from agadir.lang.labels import SCRIPT_ARAB, SCRIPT_LATN, SCRIPT_OTHER, SCRIPT_TFNG
from agadir.lang.lid_markers import marker_probe
from agadir.lang.lid_weblex import lookup, word_keys

#: n-gram orders used by the model; the rebuild script and inference must agree.
ORDERS: tuple[int, ...] = (1, 2, 3, 4, 5)
#: Characters of a line the model looks at: enough to decide, bounded cost on 1 MB lines.
MAX_CHARS = 400

# Patterns start with a literal or a class so the regex engine skips ahead fast; e-mails and
# @handles (any token holding "@") and the letter test around numbers are done in Python on the
# few matches, because lookbehinds and leading ``\S+`` made the scan 3x slower.
_URLISH = re.compile(r"(?:https?://|www\.)\S+|#\w+")
_AT_TOKEN = re.compile(r"\S*@\S*")
_NUMBER = re.compile(r"\d[\d.,:/%-]*")
_P1 = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_P1_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
#: Positions hashed per block in `ngram_buckets` (5 uint64 arrays of it fit the L2 cache).
_BLOCK = 1 << 15
#: Joins lines while cleaning: Python's regex treats it as whitespace, so no match crosses it.
_RS = "\x1e"


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def _blank_at_tokens(text: str) -> str:
    """Blank every whitespace-delimited token containing ``@`` (e-mails, @handles)."""
    if "@" not in text:
        return text
    pieces: list[str] = []
    last = 0
    at = text.find("@")
    while at != -1:
        start = at
        while start > last and not text[start - 1].isspace():
            start -= 1
        match = _AT_TOKEN.match(text, start)
        end = match.end() if match else at + 1
        pieces.append(text[last:start])
        pieces.append(" " * (end - start))
        last = end
        at = text.find("@", end)
    pieces.append(text[last:])
    return "".join(pieces)


def _blank_noise(text: str) -> str:
    """Blank URLs, hashtags, @-tokens and digit runs not touching a letter (same length).

    Digits and symbols carry no language signal; Arabizi digits 2 3 5 7 8 9 inside words do
    (``3afak``), so a digit run next to a letter is kept.
    """
    text = _blank_at_tokens(_URLISH.sub(_blank, text))

    def number(match: re.Match[str]) -> str:
        start, end = match.span()
        if (start and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha()):
            return match.group()
        return " " * (end - start)

    return _NUMBER.sub(number, text)


def clean_line(text: str) -> str:
    """Lower-case, cut to `MAX_CHARS`, and blank URLs, e-mails, handles and bare numbers.

    Blanking (same length) rather than deleting keeps character offsets valid for `segments`.
    """
    text = text[:MAX_CHARS].lower()
    if "\n" in text or "\r" in text or "\t" in text:
        text = text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return _blank_noise(text)


@dataclass(frozen=True)
class EncodedBatch:
    """A batch as one code-point array; line ``i`` is ``codes[starts[i]:starts[i] + len_i]``.

    ``n_words`` (when asked for) is ``len(text[:MAX_CHARS].split())`` of every line.
    """

    codes: npt.NDArray[np.uint64]
    starts: npt.NDArray[np.intp]
    n_lines: int
    n_words: npt.NDArray[np.intp] | None = None


def encode(texts: list[str], fold: bool = True, count_words: bool = False) -> EncodedBatch:
    """Join cleaned lines as ``\\n line0 \\n line1 \\n...`` into one uint64 code-point array.

    ``fold`` applies `_fold.fold_codes` (harakat and tatweel deleted, hamza seats merged,
    punctuation to spaces); models trained before folding existed load with ``fold=False``.
    ``count_words`` fills `EncodedBatch.n_words` (for the length-bucket temperature).

    Cleaning runs once over the whole batch (one string joined with U+001E, a whitespace
    character no pattern matches across; URLs found with ``str.find``, numbers blanked with
    numpy, see `_batch_clean`), not once per line: per-line regex calls were a third of batch
    time. A batch with a line that already contains U+001E takes the per-line path.
    """
    n = len(texts)
    # One lower() of the joined lines is the lower() of each: the only context-dependent
    # mapping (Greek final sigma) stops at U+001E, which is neither cased nor case-ignorable.
    joined = _RS.join([t[:MAX_CHARS] for t in texts]).lower()
    n_words = None
    if joined.count(_RS) == max(n - 1, 0):
        joined = joined.replace("\n", " ").replace("\r", " ").replace("\t", " ")
        raw = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        line_starts = np.zeros(n, dtype=np.intp)
        line_starts[1:] = np.flatnonzero(raw == 0x1E) + 1
        lengths = np.diff(line_starts, append=len(raw) + 1)  # each line and its joiner
        flags = _batch_clean.char_flags(raw)
        if count_words:
            n_words = _batch_clean.word_counts(flags, line_starts, len(raw))
        text = _blank_at_tokens(_batch_clean.blank_urls(joined, _URLISH))
        if text is not joined:
            raw = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            flags = _batch_clean.char_flags(raw)
        blanked = _batch_clean.blank_numbers(raw, flags)
        if blanked is not raw:
            text = blanked.tobytes().decode("utf-32-le")
        body = text.replace(_RS, " \n ")
        lengths += 2
    else:
        cleaned = [clean_line(t) for t in texts]
        body = " \n ".join(cleaned)
        lengths = np.fromiter((len(t) + 3 for t in cleaned), dtype=np.intp, count=len(cleaned))
        if count_words:
            n_words = np.fromiter(
                (len(t[:MAX_CHARS].split()) for t in texts), dtype=np.intp, count=n
            )
    full = "\n " + body + " \n" + "\n" * (max(ORDERS) + 1)
    codes = np.frombuffer(full.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.empty(n, dtype=np.intp)
    if n:
        starts[0] = 1
        np.cumsum(lengths[:-1], out=starts[1:])
        starts[1:] += 1
    if fold:
        codes, starts = fold_codes(codes, starts)
    return EncodedBatch(codes=codes, starts=starts, n_lines=n, n_words=n_words)


def _separators(codes: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
    """Positions of the line separators (``\\n``: cleaning turned every other one into a space)."""
    return np.flatnonzero(codes == 10)


def ngram_buckets(
    batch: EncodedBatch, bits: int, seps: npt.NDArray[np.intp] | None = None
) -> list[npt.NDArray[np.intp]]:
    """For each order, the bucket of the n-gram starting at every position (``2**bits`` = none).

    N-grams that cross a line separator are sent to the extra bucket ``2**bits``, whose weight
    row is zero, so per-line sums need no masking. Those are the ``order`` positions ending at
    each separator (``seps``, from `_separators`): a few per line, set by index.
    """
    codes = batch.codes
    if seps is None:
        seps = _separators(codes)
    n = len(codes)
    none = 1 << bits
    shift = np.uint64(64 - bits)
    hashed = [np.empty(max(n - order + 1, 0), dtype=np.uint64) for order in ORDERS]
    look = max(ORDERS) - 1
    # Blocks of _BLOCK positions, every order per block: the in-place ufunc chain then runs
    # on arrays the L2 cache holds (a third less time than whole-batch passes, same values).
    for lo in range(0, n, _BLOCK):
        hi = min(lo + _BLOCK, n)
        block = codes[lo : min(hi + look, n)]
        h = np.multiply(block, _P1)
        h += np.uint64(0x84222325)
        prev_order = 1
        for order, out_order in zip(ORDERS, hashed, strict=True):
            while prev_order < order:
                h = h[:-1]
                h *= _P1
                h += block[prev_order:]
                prev_order += 1
            take = min(hi, n - order + 1) - lo
            if take <= 0:
                continue
            dst = out_order[lo : lo + take]
            np.bitwise_xor(h[:take], np.uint64(order * 0x51ED27), out=dst)
            dst *= _MIX
            dst >>= shift
    out: list[npt.NDArray[np.intp]] = []
    for order, mixed in zip(ORDERS, hashed, strict=True):
        bucket = mixed.view(np.intp)  # < 2**bits: the same value as a signed index
        crossing = (seps[:, None] - np.arange(order)).ravel()
        bucket[crossing[(crossing >= 0) & (crossing < len(bucket))]] = none
        out.append(bucket)
    return out


@lru_cache(maxsize=4)
def _powers(size: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """``P**(j+1)`` and ``P**-(j+1)`` modulo 2**64 for ``j < size`` (numpy integers wrap)."""
    ones = np.ones(size, dtype=np.uint64)
    return np.cumprod(ones * _P1, dtype=np.uint64), np.cumprod(ones * _P1_INV, dtype=np.uint64)


def word_buckets(
    batch: EncodedBatch, bits: int, orders: int = 1, markers: bool = False, web: bool = False
) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]:
    """``(bucket, line)`` of every whole word (run without space or separator) and, with
    ``orders=2``, of every pair of adjacent words on a line.

    A position-independent polynomial hash of each word comes from one prefix sum: with
    ``G[i] = sum(c[j] * P**(j+1), j <= i)``, word ``[s, e]`` hashes to
    ``(G[e] - G[s-1]) * P**-(s+1)`` (mod 2**64; ``P`` is odd, so invertible). No Python loop
    over words; whole words add what 5-grams miss on long words (``المتطلبات`` vs ``ديال``).
    ``markers`` adds, for every word listed in `lid_markers`, the shared bucket of its variety;
    ``web`` adds, for every word in a `lid_weblex` web word list, the shared bucket of its list.
    """
    codes = batch.codes
    size = 1 << max(int(len(codes) - 1).bit_length(), 10)
    pw, inv = _powers(size)
    in_word = (codes != 32) & (codes != 10)
    # Runs alternate and the batch starts and ends with a separator: the edges of in_word
    # are start, end, start, end...
    edges = np.flatnonzero(in_word[1:] != in_word[:-1])
    word_start = edges[0::2] + 1
    word_end = edges[1::2]
    g = np.cumsum(codes * pw[: len(codes)])
    h = (g[word_end] - g[word_start - 1]) * inv[word_start]
    shift = np.uint64(64 - bits)
    bucket = (((h ^ np.uint64(0x3C6EF372)) * _MIX) >> shift).astype(np.intp)
    rows = np.searchsorted(batch.starts, word_start, side="right") - 1
    out = [(bucket, rows)]
    if markers:
        out.append(_marker_buckets(h, rows, shift))
    if web:
        out.append(_web_buckets(h, rows, shift))
    if orders >= 2:
        same = rows[1:] == rows[:-1]
        pair = (h[:-1] * _P1 + h[1:])[same]
        out.append(
            (((pair ^ np.uint64(0x7F4A7C15)) * _MIX >> shift).astype(np.intp), rows[1:][same])
        )
    return out


def _marker_buckets(
    h: npt.NDArray[np.uint64], rows: npt.NDArray[np.intp], shift: np.uint64
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Shared variety bucket and line of every word found in the marker table."""
    found = _probe.find(marker_probe(), h)
    hit = found >= 0
    pseudo = found[hit].astype(np.uint64) + np.uint64(0x6D61726B)  # "mark"
    return (((pseudo * _MIX) >> shift).astype(np.intp), rows[hit])


def _web_buckets(
    h: npt.NDArray[np.uint64], rows: npt.NDArray[np.intp], shift: np.uint64
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Shared list bucket and line of every word found in a web word list (`lid_weblex`)."""
    found = lookup(word_keys(h))
    hit = found >= 0
    pseudo = found[hit].astype(np.uint64) + np.uint64(0x7765626C)  # "webl"
    return (((pseudo * _MIX) >> shift).astype(np.intp), rows[hit])


def order_matrices(
    batch: EncodedBatch, bits: int, words: int = 0, markers: bool = False, web: bool = False
) -> tuple[list[sparse.csr_matrix], np.ndarray]:
    """Per-order count matrices (lines x ``2**bits + 1``) and each line's 1/sqrt(feature count).

    The matrices share the batch layout, so they are built from index arrays without sorting;
    column ``2**bits`` collects separator-crossing n-grams and must have a zero weight row.
    ``words`` = 1 adds a matrix of whole-word buckets, 2 also one of adjacent word pairs;
    ``markers`` and ``web`` add the shared marker and web-list features (`word_buckets`).
    """
    none = 1 << bits
    shape = (batch.n_lines, none + 1)
    mats: list[sparse.csr_matrix] = []
    first = int(batch.starts[0]) if batch.n_lines else 0
    indptr = np.append(batch.starts - first, 0).astype(np.int64)
    seps = _separators(batch.codes)
    ones = np.ones(len(batch.codes), dtype=np.float32)  # shared read-only data of every matrix
    for bucket in ngram_buckets(batch, bits, seps):
        cols = bucket[first:]
        indptr[-1] = len(cols)
        mats.append(sparse.csr_matrix((ones[: len(cols)], cols, indptr.copy()), shape=shape))
    word_counts = []
    for wcols, wrows in word_buckets(batch, bits, words, markers, web) if words else []:
        wptr = np.searchsorted(wrows, np.arange(batch.n_lines + 1)).astype(np.int64)
        mats.append(sparse.csr_matrix((ones[: len(wcols)], wcols, wptr), shape=shape))
        word_counts.append(np.diff(wptr))
    return mats, row_scale(seps[np.searchsorted(seps, batch.starts)] - batch.starts, word_counts)


def row_scale(
    span: npt.NDArray[np.intp], word_counts: list[npt.NDArray[np.intp]]
) -> npt.NDArray[np.float64]:
    """1/sqrt(feature count) per line: line i is " text " (``span`` characters) before its
    separator, so it has ``span - k + 1`` n-grams of order k, plus its word features."""
    valid = np.zeros(len(span), dtype=np.float64)
    for k in ORDERS:
        valid += np.maximum(span - k + 1, 0)
    for counts in word_counts:
        valid += counts
    return 1.0 / np.sqrt(np.maximum(valid, 1.0))


def feature_matrix(
    batch: EncodedBatch, bits: int, words: int = 0, markers: bool = False, web: bool = False
) -> sparse.csr_matrix:
    """Training design matrix: summed per-order counts, row-scaled, pad column dropped."""
    mats, scale = order_matrices(batch, bits, words, markers, web)
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
    n = batch.n_lines
    if n == 0:
        return np.zeros((0, 5), dtype=np.int64)
    codes = batch.codes[batch.starts[0] :]
    scripts = script_table()[np.minimum(codes, 0xFFFF)]
    if int(codes.max()) > 0xFFFF:
        scripts[codes > 0xFFFF] = 0  # emoji and other astral symbols are not letters here
    # One bincount over (line, script) pairs; line i runs from its start to the next one's.
    line = np.repeat(
        np.arange(0, 5 * n, 5), np.diff(batch.starts, append=batch.starts[0] + len(codes))
    )
    counts = np.bincount(line + scripts, minlength=5 * n).reshape(n, 5)
    counts[:, 0] = 0
    return counts.astype(np.int64, copy=False)
