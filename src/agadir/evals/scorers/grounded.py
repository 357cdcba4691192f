"""Grounded QA over a knowledge base: recall@k, citation faithfulness, no-answer precision.

- ``recall@k`` (answerable questions): the gold document owns one of the top-k passages that
  ``POST /v1/knowledge/{kb}/search`` returns.
- ``citation_faithfulness`` (answers that cite): share of the answer's ``[n]`` marks whose
  citation exists and whose quoted passage occurs in the named document of the pack, read
  from disk here, independently of the server's own check. A mark with no citation counts as
  unfaithful.
- ``no_answer_precision``: of the questions the endpoint declined (no citations returned), the
  share that were off-topic; ``no_answer_recall``: of the off-topic ones, the share declined.

Where it misleads: recall@k credits a gold document found by any of its passages, even one
that does not hold the answer; faithfulness checks the quote, not that the answer follows from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from agadir.evals.scorers.base import Metric, Stats

RECALL_K = 5
_MARK = re.compile(r"\[(\d{1,2})\]")


def _flat(text: str) -> str:
    return " ".join(text.split())


@cache
def pack_texts(kb: str) -> dict[str, str]:
    from agadir.knowledge.packs import available

    packs = available()
    if kb not in packs:
        return {}
    return {p.name: _flat(p.read_text(encoding="utf-8")) for p in packs[kb].documents()}


def faithful_marks(answer: str, citations: list[Mapping[str, Any]], kb: str) -> tuple[int, int]:
    """(faithful marks, marks) for the ``[n]`` marks in ``answer``."""
    by_index = {int(c["index"]): c for c in citations}
    texts = pack_texts(kb)
    marks = {int(m) for m in _MARK.findall(answer)}
    good = 0
    for mark in marks:
        citation = by_index.get(mark)
        if citation is None:
            continue
        body = texts.get(str(citation.get("document")), "")
        if body and _flat(str(citation.get("quote", ""))) in body:
            good += 1
    return good, len(marks)


class GroundedScorer:
    metrics = (
        Metric(f"recall@{RECALL_K}", scale=100.0, width=1),
        Metric("citation_faithfulness", scale=100.0, width=1),
        Metric("no_answer_precision", scale=100.0, width=1),
        Metric("no_answer_recall", scale=100.0, width=1),
    )

    def score(
        self, sample: Mapping[str, Any], output: Mapping[str, Any], reference: str | None
    ) -> dict[str, Stats | None]:
        answerable = bool(sample.get("answerable", True))
        citations = list(output.get("citations") or [])
        declined = not citations
        out: dict[str, Stats | None] = {
            f"recall@{RECALL_K}": None,
            "citation_faithfulness": None,
            "no_answer_precision": [float(declined and not answerable), 1.0] if declined else None,
            "no_answer_recall": None if answerable else [float(declined), 1.0],
        }
        if answerable:
            hits = list(output.get("hits") or [])[:RECALL_K]
            out[f"recall@{RECALL_K}"] = [float(sample[reference or "gold"] in hits), 1.0]
        good, marks = faithful_marks(str(output.get("text") or ""), citations, str(sample["kb"]))
        if marks:
            out["citation_faithfulness"] = [float(good), float(marks)]
        return out

    def signatures(self) -> dict[str, str]:
        return {f"recall@{RECALL_K}": "POST /v1/knowledge/{kb}/search top_k=5 mode=hybrid"}
