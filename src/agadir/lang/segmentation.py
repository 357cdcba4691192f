"""Split code-switched text into labelled spans (Darija with French words, Arabizi with English).

Every whitespace-separated token is scored by the LID model together with its neighbours
(script-masked probabilities), then a Viterbi pass picks one label per token, paying
`SWITCH_PENALTY` nats for every change of label, so a single ambiguous word does not start a
new span but a run of French words does. Tokens without letters (numbers, emoji,
punctuation) have no opinion and join the span around them. Spans carry character offsets
into the original text (``text[start:end] == span.text``). It does not split inside a token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from agadir.lang import lid
from agadir.lang.errors import LangInputError
from agadir.lang.labels import UND

SWITCH_PENALTY = 2.0
CONTEXT = 1
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class Segment:
    """A labelled span ``text[start:end]``."""

    start: int
    end: int
    label: str
    text: str


def segments(text: str, *, switch_penalty: float = SWITCH_PENALTY) -> list[Segment]:
    """Labelled spans covering every token of ``text`` in order (empty list for blank text)."""
    if not isinstance(text, str):
        raise LangInputError(f"expected str, got {type(text).__name__}", param="text")
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    if not spans:
        return []
    words = [text[a:b] for a, b in spans]
    # A token is scored together with its neighbours: one word alone is too short to identify.
    windows = [" ".join(words[max(0, i - CONTEXT) : i + CONTEXT + 1]) for i in range(len(words))]
    probs, _ = lid.probabilities(windows)
    _, undetermined = lid.probabilities(words)
    labels = lid.load_model().labels
    with np.errstate(divide="ignore"):
        emit = np.log(probs)
    emit[undetermined] = 0.0  # no opinion
    if undetermined.all():
        return [Segment(spans[0][0], spans[-1][1], UND, text[spans[0][0] : spans[-1][1]])]
    path = _viterbi(emit, switch_penalty)
    out: list[Segment] = []
    run_start, run_label = spans[0][0], path[0]
    for i in range(1, len(spans)):
        if path[i] != run_label:
            end = spans[i - 1][1]
            out.append(Segment(run_start, end, labels[run_label], text[run_start:end]))
            run_start, run_label = spans[i][0], path[i]
    end = spans[-1][1]
    out.append(Segment(run_start, end, labels[run_label], text[run_start:end]))
    return out


def _viterbi(emit: np.ndarray, penalty: float) -> list[int]:
    """Best label sequence under per-token log-probabilities and a constant switch cost."""
    n, k = emit.shape
    score = emit[0].copy()
    back = np.zeros((n, k), dtype=np.intp)
    for i in range(1, n):
        best_prev = int(np.argmax(score))
        switch = score[best_prev] - penalty
        stay_better = score >= switch
        back[i] = np.where(stay_better, np.arange(k), best_prev)
        score = np.where(stay_better, score, switch) + emit[i]
    path = [int(np.argmax(score))]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]
