"""An instant OpenAI-compatible upstream for benchmarks and tests: answers "ok" at wire speed.

Usage: python bench/instant_upstream.py --port N [--name NAME] [--tokens 1] [--token-delay-ms 0]

A raw asyncio HTTP/1.1 server (keep-alive, Content-Length bodies only), so that what a benchmark
measures is the gateway in front of it, not this server. It answers:
- GET  /v1/models             one model card with `max_model_len` (as vLLM reports it)
- POST /v1/chat/completions   "ok" (or `--tokens` words, streamed as SSE when `stream` is true,
                              `--token-delay-ms` apart); a user message "ECHO_BODY" gets the
                              request body back as the answer (to check parameter forwarding)
- POST /v1/completions        the same, in the completions shape
- GET  /stats                 {"name", "requests"}: how many generations this process served
It has no /tokenize, like most OpenAI-compatible servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

_STATUS = {200: b"OK", 404: b"Not Found", 400: b"Bad Request"}


class Upstream:
    def __init__(self, name: str, tokens: int, token_delay_s: float, context: int) -> None:
        self.name = name
        self.tokens = tokens
        self.token_delay_s = token_delay_s
        self.context = context
        self.requests = 0

    def models(self) -> dict[str, Any]:
        card = {"id": self.name, "object": "model", "owned_by": "bench"}
        return {"object": "list", "data": [{**card, "max_model_len": self.context}]}

    def answer(self, body: dict[str, Any], chat: bool) -> tuple[list[str], dict[str, int]]:
        self.requests += 1
        messages = body.get("messages") or []
        if chat and messages and messages[-1].get("content") == "ECHO_BODY":
            words = [json.dumps(body, sort_keys=True)]
        else:
            count = min(self.tokens, int(body.get("max_tokens") or self.tokens))
            words = ["ok" if i == 0 else " ok" for i in range(count)]
        return words, {
            "prompt_tokens": 3,
            "completion_tokens": len(words),
            "total_tokens": 3 + len(words),
        }


def _response(status: int, body: bytes, content_type: bytes = b"application/json") -> bytes:
    head = b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n" % (
        status, _STATUS.get(status, b"OK"), content_type, len(body)
    )  # fmt: skip
    return head + body


class Connection(asyncio.Protocol):
    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next()

    def _next(self) -> None:
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                key, _, value = line.partition(":")
                if key.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            method, path = head[0].split(" ")[:2]
            if self._handle(method, path, body):  # a stream: continue when it ends
                return

    def _handle(self, method: str, path: str, raw: bytes) -> bool:
        assert self.transport is not None
        up = self.upstream
        if method == "GET" and path == "/v1/models":
            self.transport.write(_response(200, json.dumps(up.models()).encode()))
        elif method == "GET" and path == "/stats":
            stats = {"name": up.name, "requests": up.requests}
            self.transport.write(_response(200, json.dumps(stats).encode()))
        elif method == "POST" and path in ("/v1/chat/completions", "/v1/completions"):
            chat = path == "/v1/chat/completions"
            body = json.loads(raw or b"{}")
            words, usage = up.answer(body, chat)
            if body.get("stream"):
                self.busy = True
                asyncio.get_running_loop().create_task(self._stream(body, words, usage, chat))
                return True
            self.transport.write(
                _response(200, json.dumps(_whole(body, words, usage, chat)).encode())
            )
        else:
            self.transport.write(_response(404, b'{"error":{"message":"not found"}}'))
        return False

    async def _stream(
        self, body: dict[str, Any], words: list[str], usage: dict[str, int], chat: bool
    ) -> None:
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        for i, word in enumerate(words):
            if i and self.upstream.token_delay_s:
                await asyncio.sleep(self.upstream.token_delay_s)
            self._chunk(_chunk(body, {"content": word} if chat else word, None, chat))
        self._chunk(_chunk(body, {} if chat else "", "length" if len(words) > 1 else "stop", chat))
        if (body.get("stream_options") or {}).get("include_usage"):
            self._chunk(
                {"id": "x", "object": "chat.completion.chunk", "choices": [], "usage": usage}
            )
        self._event(b"data: [DONE]\n\n")
        self.transport.write(b"0\r\n\r\n")
        self.busy = False
        self._next()

    def _chunk(self, obj: dict[str, Any]) -> None:
        self._event(b"data: " + json.dumps(obj).encode() + b"\n\n")

    def _event(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(b"%x\r\n%s\r\n" % (len(data), data))


def _whole(
    body: dict[str, Any], words: list[str], usage: dict[str, int], chat: bool
) -> dict[str, Any]:
    text = "".join(words)
    finish = "length" if len(words) > 1 else "stop"
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
    if chat:
        choice["message"] = {"role": "assistant", "content": text}
    else:
        choice["text"] = text
    kind = "chat.completion" if chat else "text_completion"
    return {"id": "cmpl-instant", "object": kind, "created": 0, "model": body.get("model"),
            "choices": [choice], "usage": usage}  # fmt: skip


def _chunk(body: dict[str, Any], delta: Any, finish: str | None, chat: bool) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
    if chat:
        choice["delta"] = delta
    else:
        choice["text"] = delta
    kind = "chat.completion.chunk" if chat else "text_completion"
    return {"id": "cmpl-instant", "object": kind, "created": 0, "model": body.get("model"),
            "choices": [choice]}  # fmt: skip


async def serve(port: int, upstream: Upstream) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(upstream), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="instant")
    ap.add_argument("--tokens", type=int, default=1, help="words per answer (capped by max_tokens)")
    ap.add_argument("--token-delay-ms", type=float, default=0.0)
    ap.add_argument("--context", type=int, default=8192, help="max_model_len reported")
    args = ap.parse_args()
    upstream = Upstream(args.name, args.tokens, args.token_delay_ms / 1000, args.context)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.port, upstream))


if __name__ == "__main__":
    main()
