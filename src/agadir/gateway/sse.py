"""Server-sent events for streamed OpenAI responses: the framing, and the response that sends
them.

Why not Starlette's `StreamingResponse`: for ASGI servers before spec 2.4 (uvicorn among them)
it opens an anyio task group per response, streaming in one task while another waits for the
client's disconnect (such servers drop writes to a gone client silently, so only `receive()`
tells). That task group costs CPU on every stream, and the headers wait a loop turn for the new
task. `EventStreamResponse` streams in the request's own task and watches for the disconnect in
one plain asyncio task; a disconnect cancels the stream, and the body iterator is closed, so
its `finally` stops the generation, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

DONE = b"data: [DONE]\n\n"


def event(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


class EventStreamResponse(StreamingResponse):
    media_type = "text/event-stream"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        spec = scope.get("asgi", {}).get("spec_version", "2.0")
        task = asyncio.current_task()
        if task is None or tuple(map(int, spec.split("."))) >= (2, 4):
            await super().__call__(scope, receive, send)  # a write to a gone client raises
            return
        ended = False  # the last body message is on its way: `receive()` says disconnect too
        gone = False

        async def watch() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            if not ended:
                gone = True
                task.cancel()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            start = {"status": self.status_code, "headers": self.raw_headers}
            await send({"type": "http.response.start", **start})
            async for chunk in self.body_iterator:
                body = chunk.encode(self.charset) if isinstance(chunk, str) else chunk
                await send({"type": "http.response.body", "body": body, "more_body": True})
            ended = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not gone:
                raise
            task.uncancel()  # the client left: not a cancellation of this request
            if isinstance(self.body_iterator, AsyncGenerator):
                await self.body_iterator.aclose()  # stops the generation now, not at GC
        finally:
            watcher.cancel()
        if self.background is not None:
            await self.background()
