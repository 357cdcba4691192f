"""``find_pii``: run every recogniser, then keep one answer per stretch of text.

Overlaps are resolved deterministically: the longest validated match wins (a RIB over the
phone-shaped digits inside it, an e-mail over the digits in its local part); on equal length
the more specific type wins, in the order of ``SPECIFICITY``; then the earlier start.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator

from ._digits import DIGIT_CHARS
from ._numeric import CARD, IBAN, ICE, IPV4, PHONE, RIB
from ._scan import DigitRecogniser, digit_windows
from ._textual import CIN, find_emails, find_ipv6
from ._types import PiiMatch, PiiType

Recogniser = Callable[[str], Iterator[PiiMatch]]

#: Recognisers that work on digit clusters.
DIGIT_RECOGNISERS: tuple[DigitRecogniser, ...] = (IBAN, RIB, ICE, CARD, PHONE, CIN, IPV4)
#: Recognisers that scan the whole text from their own anchor ('@', ':').
TEXT_RECOGNISERS: tuple[tuple[PiiType, Recogniser], ...] = (
    (PiiType.EMAIL, find_emails),
    (PiiType.IP, find_ipv6),
)

#: Tie-break on equal length, strongest evidence first: an ICE (mod 97) beats a card number
#: (Luhn, one in ten) made of the same fifteen digits.
SPECIFICITY: tuple[PiiType, ...] = (
    PiiType.IBAN,
    PiiType.RIB,
    PiiType.EMAIL,
    PiiType.ICE,
    PiiType.CARD,
    PiiType.PHONE,
    PiiType.CIN,
    PiiType.IP,
)
_RANK = {kind: rank for rank, kind in enumerate(SPECIFICITY)}

# Every recogniser needs a digit, an '@' or a ':' somewhere; prose without any is skipped
# after one C-level scan.
_PREFILTER = re.compile(rf"[{DIGIT_CHARS}@:]")


def _pick(cluster: list[PiiMatch]) -> list[PiiMatch]:
    """Greedy choice inside one cluster of mutually reachable overlaps."""
    ordered = sorted(cluster, key=lambda m: (-len(m), _RANK[m.type], m.start))
    kept: list[PiiMatch] = []
    for cand in ordered:
        if all(cand.end <= k.start or cand.start >= k.end for k in kept):
            kept.append(cand)
    return kept


def resolve_overlaps(candidates: list[PiiMatch]) -> list[PiiMatch]:
    """Keep non-overlapping matches, longest then most specific first; sorted by start.

    A sweep splits the candidates into clusters of overlapping spans so the greedy choice
    stays cheap on long documents with thousands of matches.
    """
    by_start = sorted(candidates, key=lambda m: (m.start, m.end, _RANK[m.type]))
    kept: list[PiiMatch] = []
    cluster: list[PiiMatch] = []
    cluster_end = -1
    for cand in by_start:
        if cluster and cand.start >= cluster_end:
            kept.extend(_pick(cluster) if len(cluster) > 1 else cluster)
            cluster = []
        cluster.append(cand)
        cluster_end = max(cluster_end, cand.end) if len(cluster) > 1 else cand.end
    if cluster:
        kept.extend(_pick(cluster) if len(cluster) > 1 else cluster)
    kept.sort(key=lambda m: m.start)
    return kept


def find_pii(text: str, types: Collection[PiiType] | None = None) -> list[PiiMatch]:
    """All validated PII in ``text`` (optionally only ``types``), in order of position."""
    if not _PREFILTER.search(text):
        return []
    candidates: list[PiiMatch] = []
    windows = digit_windows(text)
    if windows:
        for recogniser in DIGIT_RECOGNISERS:
            if types is None or recogniser.kind in types:
                candidates.extend(recogniser.find(text, windows))
    for kind, recognise in TEXT_RECOGNISERS:
        if types is None or kind in types:
            candidates.extend(recognise(text))
    if len(candidates) < 2:
        return candidates
    return resolve_overlaps(candidates)
