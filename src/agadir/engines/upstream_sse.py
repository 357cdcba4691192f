"""The events of an OpenAI-style SSE stream, read from the body's bytes as they arrive.

Framing as the SSE specification has it (fields per line, an empty line ends an event, several
`data:` lines join with a newline); only `data` matters for OpenAI's streams, and lines end with
LF or CRLF (a lone CR is not taken as a line end). `[DONE]` ends the stream. An event carrying
`error` (how vLLM and others report a failure after the headers went out) raises
`UpstreamStatusError(502, its message)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from agadir.engines.upstream_errors import UpstreamStatusError

MAX_LINE_BYTES = 1 << 20  # an event with logprobs may be long; a line longer than this is refused


class EventStream:
    """An open SSE answer: iterate it for each event's JSON object; `async with` releases it,
    telling `release` whether the stream reached its end (`[DONE]` or the end of the body):
    only then may its connection be kept."""

    def __init__(self, chunks: AsyncIterator[bytes], release: Callable[[bool], object]) -> None:
        self._chunks = chunks
        self._release = release
        self.ended = False

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release(self.ended)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._events()

    async def _events(self) -> AsyncIterator[dict[str, Any]]:
        data: list[bytes] = []
        tail = b""  # a line not yet ended
        async for chunk in self._chunks:
            lines = (tail + chunk if tail else chunk).split(b"\n")
            tail = lines.pop()
            if len(tail) > MAX_LINE_BYTES:
                raise UpstreamStatusError(502, "the upstream streamed a line over 1 MiB")
            for raw in lines:
                line = raw[:-1] if raw.endswith(b"\r") else raw
                if line.startswith(b"data:"):
                    value = line[5:]
                    data.append(value[1:] if value.startswith(b" ") else value)
                elif not line and data:
                    event = _event(b"\n".join(data))
                    data = []
                    if event is None:
                        self.ended = True
                        return
                    yield event
        if tail.startswith(b"data:"):  # the body ended without a line end
            value = tail.rstrip(b"\r")[5:]
            data.append(value[1:] if value.startswith(b" ") else value)
        if data and (event := _event(b"\n".join(data))) is not None:
            yield event
        self.ended = True


def _event(payload: bytes) -> dict[str, Any] | None:
    """One event's data as a JSON object; None for `[DONE]`."""
    if payload.startswith(b"[DONE]"):
        return None
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise UpstreamStatusError(502, "the upstream streamed an event that is not JSON") from None
    if not isinstance(event, dict):
        raise UpstreamStatusError(502, "the upstream streamed an event that is not a JSON object")
    error = event.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        raise UpstreamStatusError(502, str(message or error)[:500])
    return event
