"""Queries before ingestion on the shared encoder.

Why: searches and ingestion jobs embed with the same encoder, which runs one batch at a time,
so a search during a big ingestion queued behind its embedding batches (measured in
docs/benchmarks.md, "Knowledge ingestion under load"). So ingestion embeds in small batches
(`INGEST_BATCH`), and a new ingestion batch does not start while a query embedding is waiting
or running: a search waits for at most the batch already in the encoder. Ingestion still
progresses whenever no query is in flight. Not handled: priorities between tenants' queries
(they go in arrival order), or other users of the encoder (`/v1/embeddings`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from agadir.knowledge.retrieval import EmbedFn

INGEST_BATCH: Final = 4


class EmbedPriority:
    """Two views of one `EmbedFn`: `urgent` for queries, `background` for ingestion."""

    def __init__(self, embed: EmbedFn) -> None:
        self._embed = embed
        self._urgent = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    async def urgent(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self._urgent += 1
        self._quiet.clear()
        try:
            return await self._embed(texts)
        finally:
            self._urgent -= 1
            if self._urgent == 0:
                self._quiet.set()

    async def background(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        while self._urgent:
            await self._quiet.wait()
        return await self._embed(texts)
