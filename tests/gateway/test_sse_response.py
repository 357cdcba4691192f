"""`EventStreamResponse`: a client that leaves mid-stream stops the body (its `finally` runs at
once) without cancelling the rest of the request; a stream read to its end is not mistaken for
a client leaving (servers before ASGI 2.4 answer `receive()` with a disconnect once the
response is complete)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from agadir.gateway.sse import EventStreamResponse

SCOPE = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}}


class Client:
    """ASGI receive/send as uvicorn gives them: `receive()` waits until the client leaves or
    the response is complete, then says `http.disconnect`."""

    def __init__(self, leave_after_parts: int | None) -> None:
        self.leave_after_parts = leave_after_parts
        self.sent: list[dict[str, Any]] = []
        self._event = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        await self._event.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        parts = sum(1 for m in self.sent if m.get("more_body"))
        if parts == self.leave_after_parts or not message.get("more_body", True):
            self._event.set()  # left, or the response is complete
        await asyncio.sleep(0)  # a write may yield to the loop (flow control)


async def body(closed: list[str], parts: int, pause_s: float = 0.0) -> AsyncIterator[bytes]:
    try:
        for i in range(parts):
            yield b"data: %d\n\n" % i
            await asyncio.sleep(pause_s)
    finally:
        closed.append("closed")


async def test_a_client_leaving_closes_the_body_and_the_request_goes_on() -> None:
    closed: list[str] = []
    client = Client(leave_after_parts=1)
    response = EventStreamResponse(body(closed, parts=100, pause_s=0.01))
    await asyncio.wait_for(response(SCOPE, client.receive, client.send), 2)
    assert closed == ["closed"]  # at once, not when the generator is collected
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    await asyncio.sleep(0.01)  # no cancellation left pending for what follows (the audit)
    assert sum(1 for m in client.sent if m.get("more_body")) < 5


async def test_a_stream_read_to_its_end_is_not_a_client_leaving() -> None:
    closed: list[str] = []
    client = Client(leave_after_parts=None)
    await EventStreamResponse(body(closed, parts=3))(SCOPE, client.receive, client.send)
    await asyncio.sleep(0.01)
    assert [m.get("body") for m in client.sent[1:]] == [
        b"data: 0\n\n",
        b"data: 1\n\n",
        b"data: 2\n\n",
        b"",
    ]
    assert client.sent[0]["status"] == 200 and closed == ["closed"]
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
