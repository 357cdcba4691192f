"""A local HTTP/1.1 server whose answers a test writes byte by byte, for the upstream client's
tests: it counts connections and requests, and a handler decides what goes back on the wire
(partial writes, pauses, closing without an answer)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int  # 1 for the first connection the server accepted
    on_connection: int  # 1 for the first request on its connection


# writes the answer; returns False to close the connection afterwards
Handler = Callable[[Seen, asyncio.StreamWriter], Awaitable[bool]]


@dataclass
class ScriptedServer:
    url: str
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0


def answer(status: int, body: bytes, *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chunked(*pieces: bytes) -> bytes:
    out = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    out += b"Transfer-Encoding: chunked\r\n\r\n"
    for piece in pieces:
        out += b"%x\r\n%b\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


@asynccontextmanager
async def scripted(
    handler: Handler, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
) -> AsyncIterator[ScriptedServer]:
    server_state = ScriptedServer(url="")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_state.connections += 1
        number, count = server_state.connections, 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                count += 1
                seen = Seen(method, path, headers, body, number, count)
                server_state.seen.append(seen)
                keep = await handler(seen, writer)
                await writer.drain()
                if not keep:
                    return
        finally:
            writer.close()

    server = await asyncio.start_server(serve, host, 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    server_state.url = f"{'https' if tls else 'http'}://{host}:{port}/v1"
    try:
        yield server_state
    finally:
        server.close()
        await server.wait_closed()
