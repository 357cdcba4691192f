"""Queries before ingestion on the shared encoder, with the order controlled by events."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from agadir.knowledge.priority import EmbedPriority


async def test_ingestion_batches_wait_while_a_query_is_in_flight() -> None:
    calls: list[str] = []
    hold = asyncio.Event()

    async def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        calls.append(texts[0])
        if texts[0] == "query":
            await hold.wait()
        return np.zeros((len(texts), 4), dtype=np.float32)

    priority = EmbedPriority(embed)
    query = asyncio.create_task(priority.urgent(["query"]))
    await asyncio.sleep(0)  # the query is now inside the encoder, held
    batch = asyncio.create_task(priority.background(["chunk"]))
    for _ in range(5):
        await asyncio.sleep(0)
    assert calls == ["query"] and not batch.done()  # the batch did not start
    hold.set()
    await asyncio.gather(query, batch)
    assert calls == ["query", "chunk"]
    assert (await priority.background(["alone"])).shape == (1, 4)  # no query: no wait
