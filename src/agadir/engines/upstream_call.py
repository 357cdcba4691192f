"""One generation on an upstream, streamed or whole, decided by how the gateway consumes it.

`stream_chat()` must return an async iterator of deltas (the engine protocol), but a
non-streaming request is far cheaper upstream as one JSON answer than as an SSE stream parsed
chunk by chunk. `UpstreamCall` is both: iterating it streams from the upstream, `gather()` (used
by `engines.base.collect`) asks for one whole answer. Nothing is sent before one of them starts.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from agadir.engines.base import Delta, Generation
from agadir.engines.upstream_client import agadir_error, counts_against_replica
from agadir.engines.upstream_replicas import Replica, ReplicaSet
from agadir.engines.upstream_wire import chunk_deltas, finish_reason, generation_of

Request = Callable[[Replica, bool], Awaitable[Any]]


class UpstreamCall(AsyncGenerator[Delta, None]):
    """A lazy upstream request: iterate it to stream, or `await gather()` for the whole answer."""

    def __init__(self, replicas: ReplicaSet, request: Request, *, chat: bool) -> None:
        self._replicas = replicas
        self._request = request  # (replica, stream) -> the SDK's response or stream
        self._chat = chat
        self._stream: AsyncGenerator[Delta, None] | None = None

    async def gather(self) -> Generation:
        started = time.perf_counter()
        replica, response = await self._replicas.run(lambda r: self._request(r, False))
        self._replicas.release(replica, ok=True, seconds=time.perf_counter() - started)
        return generation_of(response, chat=self._chat)

    async def _deltas(self) -> AsyncIterator[Delta]:
        started = time.perf_counter()
        # retried on another replica only up to here: the response headers, before any byte
        replica, stream = await self._replicas.run(lambda r: self._request(r, True))
        ok: bool | None = None  # a client that went away says nothing about the replica
        finish: str | None = None
        usage: Any = None
        try:
            async with stream:
                async for chunk in stream:
                    usage = chunk.get("usage") or usage
                    deltas, chunk_finish = chunk_deltas(chunk, chat=self._chat)
                    finish = chunk_finish or finish
                    for delta in deltas:
                        yield delta
            ok = True
        except Exception as exc:
            ok = not counts_against_replica(exc)
            raise agadir_error(exc, self._replicas.config.name, replica.url) from exc
        finally:
            self._replicas.release(replica, ok=ok, seconds=time.perf_counter() - started)
        yield Delta(
            finish_reason=finish_reason(finish),
            prompt_tokens=usage.get("prompt_tokens", 0) if usage else 0,
            completion_tokens=usage.get("completion_tokens", 0) if usage else 0,
        )

    def _started(self) -> AsyncGenerator[Delta, None]:
        if self._stream is None:
            self._stream = self._deltas()  # type: ignore[assignment]
        assert self._stream is not None
        return self._stream

    def __aiter__(self) -> UpstreamCall:
        return self

    async def __anext__(self) -> Delta:
        return await self._started().__anext__()

    async def asend(self, value: None) -> Delta:
        return await self._started().asend(value)

    async def athrow(self, *args: Any) -> Delta:
        return await self._started().athrow(*args)

    async def aclose(self) -> None:
        if self._stream is not None:
            await self._stream.aclose()
