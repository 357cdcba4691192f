"""Processes and clients shared by the serving benchmarks (bench_serve, bench_memory).

Servers run as child processes on free loopback ports with bounded start-up waits, and are
always stopped by the caller (`Server.stop`); the client is a plain httpx SSE reader so the
same code measures `agadir serve` and `llama_cpp.server` alike.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
MODEL = "smollm2-135m-instruct"
PROMPTS = (
    "Write a long, detailed story about a fisherman in Agadir who finds a map in a bottle.",
    "Explain step by step how a bicycle works, in great detail, for a curious child.",
    "Describe a day at a busy market in Marrakech: the sounds, the food, the people.",
    "Write a long letter from a student to her grandmother about her first year at school.",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def gguf_path() -> str:
    from agadir.models.packaged import PACKAGED_MODELS

    return str(PACKAGED_MODELS[0].path())


def pct(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


# -- server processes ---------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    headers: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    name: str, cmd: list[str], env: dict[str, str], port: int, health: str, logdir: Path
) -> Server:
    """Start a server and wait (bounded) until `health` answers 200."""
    log = logdir / f"{name.replace(' ', '_')}-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    server = Server(name, proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(server.base + health, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"{name} did not become healthy:\n{log.read_text()[-3000:]}")


def agadir_server(env: dict[str, str], logdir: Path, *extra: str) -> Server:
    """`agadir serve` on a free port, authenticated with the admin key it writes at first start.

    Why the admin key rather than `--dev-open`: it is the path real clients take (key lookup,
    scopes, quotas, audit record), so its cost is part of what we measure.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "agadir.cli.main", "serve", "--port", str(port), *extra]
    server = start_server("agadir serve", cmd, env, port, "/healthz", logdir)
    key_file = Path(env["AGADIR_HOME"]) / "admin.key"
    if key_file.is_file():
        server.headers["Authorization"] = "Bearer " + key_file.read_text().strip()
    return server


def llamacpp_server(env: dict[str, str], logdir: Path, threads: int, interrupt: bool) -> Server:
    port = free_port()
    cmd = [sys.executable, str(ROOT / "bench" / "llamacpp_server_patched.py")]
    cmd += ["--model", gguf_path(), "--port", str(port), "--n_ctx", "2048"]
    cmd += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
    if not interrupt:
        cmd += ["--interrupt_requests", "False"]
    name = "llama_cpp.server" + ("" if interrupt else " no-interrupt")
    return start_server(name, cmd, env, port, "/v1/models", logdir)


# -- clients ------------------------------------------------------------------------------------
@dataclass
class Stream:
    start: float
    ttft: float | None
    end: float
    tokens: int
    finish: str | None
    error: str | None

    @property
    def completed(self) -> bool:
        return self.error is None and self.finish is not None and self.tokens > 0

    @property
    def tok_s(self) -> float:
        return self.tokens / (self.end - self.start) if self.end > self.start else 0.0


async def stream_chat(
    client: httpx.AsyncClient, server: Server, prompt: str, max_tokens: int
) -> Stream:
    """One streaming chat; tokens = usage.completion_tokens when sent, else content chunks."""
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
        "max_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    start = time.perf_counter()
    ttft: float | None = None
    chunks, usage_tokens, finish, error = 0, None, None, None
    try:
        async with client.stream(
            "POST", server.base + "/v1/chat/completions", json=body, headers=server.headers
        ) as resp:
            if resp.status_code != 200:
                error = f"HTTP {resp.status_code}: {(await resp.aread())[:200]!r}"
            else:
                async for line in resp.aiter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    obj = json.loads(line[6:])
                    if obj.get("usage"):
                        usage_tokens = obj["usage"]["completion_tokens"]
                    for choice in obj.get("choices") or []:
                        if choice.get("delta", {}).get("content"):
                            chunks += 1
                            if ttft is None:
                                ttft = time.perf_counter() - start
                        finish = choice.get("finish_reason") or finish
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    tokens = usage_tokens if usage_tokens is not None else chunks
    return Stream(start, ttft, time.perf_counter(), tokens, finish, error)


async def _load(server: Server, clients: int, per_client: int, max_tokens: int) -> list[Stream]:
    limits = httpx.Limits(max_connections=clients + 2)
    async with httpx.AsyncClient(timeout=180, limits=limits) as client:

        async def one(c: int) -> list[Stream]:
            return [
                await stream_chat(client, server, PROMPTS[(c + i) % len(PROMPTS)], max_tokens)
                for i in range(per_client)
            ]

        per = await asyncio.gather(*(one(c) for c in range(clients)))
    return [s for group in per for s in group]


def run_load(server: Server, clients: int, per_client: int, max_tokens: int) -> list[Stream]:
    """`clients` concurrent clients, each streaming `per_client` chats one after the other."""
    return asyncio.run(_load(server, clients, per_client, max_tokens))


def warm_up(server: Server) -> None:
    """One short chat; fails loudly (auth, model) instead of measuring error responses."""
    stream = run_load(server, 1, 1, 16)[0]
    if not stream.completed:
        raise RuntimeError(f"{server.name}: warm-up chat failed: {stream.error or stream.finish}")
