"""Moroccan language identification as a datatrove filter: label, score, keep or drop.

Uses our packaged model (`agadir.lang.lid`), never datatrove's GlotLID/fastText steps (they
download from the hub). Documents are classified in batches (one matrix product per batch is
~20x faster than one call per document) on their first ``max_chars`` characters: enough for a
confident call, and it keeps the cost of a 1 MB document the same as a page's. The label goes
to ``metadata["language"]`` (what writers shard on), the probability to
``metadata["language_score"]``. Mixed-language documents get their dominant language only.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from agadir.lang import lid
from agadir.lang.labels import UND


class MoroccanLID(BaseFilter):
    """Label each document; keep those in ``keep`` (all when empty) with score >= ``min_score``."""

    name = "🇲🇦 Moroccan LID"

    def __init__(
        self,
        keep: Collection[str] = (),
        min_score: float = 0.0,
        batch_size: int = 512,
        max_chars: int = 2000,
    ) -> None:
        super().__init__(batch_size=batch_size)
        self.keep = frozenset(keep)
        self.min_score = min_score
        self.max_chars = max_chars

    def label_batch(self, texts: list[str]) -> list[tuple[str, float]]:
        """``(label, probability)`` per text; ``("und", 1.0)`` when no call can be made."""
        labels = lid.load_model().labels
        p, undetermined = lid.probabilities([t[: self.max_chars] for t in texts])
        idx = np.argmax(p, axis=1).tolist()
        best = p[np.arange(len(texts)), idx].tolist()
        return [
            (UND, 1.0) if und else (labels[i], round(float(s), 4))
            for i, s, und in zip(idx, best, undetermined.tolist(), strict=True)
        ]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        results: list[bool | tuple[bool, str]] = []
        for doc, (label, score) in zip(
            batch, self.label_batch([d.text for d in batch]), strict=True
        ):
            doc.metadata["language"] = label
            doc.metadata["language_score"] = score
            if self.keep and label not in self.keep:
                results.append((False, f"language_not_kept:{label}"))
            elif score < self.min_score:
                results.append((False, f"lid_low_score:{label}"))
            else:
                results.append(True)
        return results

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]
