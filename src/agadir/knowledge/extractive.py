"""Extractive answers: the sentences of the retrieved passages that answer the question, quoted.

Why: the packaged chat model (SmolLM2-135M) cannot write a useful grounded answer, least of
all in Arabic, and for a ministry or a cooperative a quoted regulation is often the answer
they want anyway. An extractive answer needs no model call: each retrieved passage is cut into
sentences, every sentence is scored against the question with the retrieval's own signals
(the encoder's cosine, plus the share of the question's terms it holds, as in the fusion),
and the best few are returned verbatim, each followed by its passage's citation `[n]`.

Quoted exactly means every sentence is a substring of its passage's stored text (markdown
list and heading markers around it are trimmed, nothing inside it is changed), so a reader,
or a test, can find it in the cited quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agadir.knowledge.analysis import terms
from agadir.knowledge.retrieval import EmbedFn, Retrieved, query_variants

MAX_SENTENCES = 3
PER_PASSAGE = 2
COVERAGE_WEIGHT = 0.3  # next to cosine, as BETA in the retrieval's weighted fusion
RANK_PRIOR = 0.02  # per rank: the retriever's order breaks near-ties between sentences
KEEP_RATIO = 0.75  # a sentence is quoted when it scores at least this share of the best
MIN_TERMS = 4  # shorter pieces are headings or labels, not answers

# A sentence ends at . ! ? ؟ … (with any closing quote or bracket) before a space, or at a
# line break; list items and headings are their own sentences.
_END = re.compile(r"(?<=[.!?؟…])[»\"')\]]*\s+|\n+")
_LEAD = re.compile(r"^[\s#>*\-•–—]+|^\d{1,2}[.)]\s+")
_TRAIL = re.compile(r"[\s*]+$")


@dataclass(frozen=True)
class Sentence:
    """A quotable sentence: `text == passage.text[start:end]` for passage `index` (1-based)."""

    index: int
    start: int
    end: int
    text: str
    score: float = 0.0


def sentences(passage: str, index: int) -> list[Sentence]:
    """The sentences of `passage`, trimmed of markdown markers, with their offsets in it."""
    out: list[Sentence] = []
    start = 0
    breaks = [*((m.start(), m.end()) for m in _END.finditer(passage)), (len(passage),) * 2]
    for stop, resume in breaks:
        piece = passage[start:stop]
        if piece.lstrip().startswith("#"):  # a heading names a topic, it answers nothing
            start = resume
            continue
        lead = _LEAD.match(piece)
        a = start + (lead.end() if lead else 0)
        trail = _TRAIL.search(passage[a:stop])
        b = a + trail.start() if trail else stop
        text = passage[a:b]
        if text.startswith("**"):  # a bold label such as "**Récolte** :" keeps its words
            a, text = a + 2, text[2:]
        if len(terms(text)) >= MIN_TERMS:
            out.append(Sentence(index, a, a + len(text), text))
        start = resume
    return out


def _coverage(wanted: list[set[str]], text: str) -> float:
    have = set(terms(text))
    return max((len(w & have) / len(w) for w in wanted if w), default=0.0)


async def extract(
    question: str, lang: str, hits: list[Retrieved], embed: EmbedFn
) -> list[Sentence]:
    """The best sentences of `hits` for `question`, best first (indices are 1-based)."""
    candidates = [s for i, h in enumerate(hits, start=1) for s in sentences(h.passage.text, i)]
    if not candidates:
        return []
    variants = query_variants(question, lang)
    wanted = [set(terms(v)) for v in variants]
    vectors = await embed([*variants, *(s.text for s in candidates)])
    queries, rows = vectors[: len(variants)], vectors[len(variants) :]
    cosine = (rows @ queries.T).max(axis=1)
    scored = sorted(
        (
            Sentence(
                s.index,
                s.start,
                s.end,
                s.text,
                float(cosine[n])
                + COVERAGE_WEIGHT * _coverage(wanted, s.text) ** 2
                - RANK_PRIOR * (s.index - 1),
            )
            for n, s in enumerate(candidates)
        ),
        key=lambda s: (-s.score, s.index, s.start),
    )
    floor = scored[0].score - (1 - KEEP_RATIO) * abs(scored[0].score)
    chosen: list[Sentence] = []
    per: dict[int, int] = {}
    for s in scored:
        if len(chosen) == MAX_SENTENCES or s.score < floor:
            break
        if per.get(s.index, 0) < PER_PASSAGE:
            per[s.index] = per.get(s.index, 0) + 1
            chosen.append(s)
    return chosen


def render(chosen: list[Sentence]) -> str:
    """One quoted sentence per line, each followed by its citation."""
    return "\n".join(f"{s.text} [{s.index}]" for s in chosen)
