"""A big request never holds the event loop: while its text is being split into tokens (held
here on an event, so the test does not depend on how fast the machine is), another request is
answered, and the splitting ran in a worker thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from agadir.config import DEFAULT_EMBEDDING_MODEL, Settings
from agadir.engines import echo
from agadir.engines.embeddings import OFFLOAD_CHARS, SentenceEncoderEngine
from agadir.gateway.app import create_app

BIG = "mot " * (OFFLOAD_CHARS // 2)  # 128 K characters, twice the threshold


class Hold:
    """Wraps a tokenising function: a big text waits on `release` in whatever thread runs it."""

    def __init__(self, real: Callable[..., list[object]]) -> None:
        self.real = real
        self.started = threading.Event()
        self.release = threading.Event()
        self.threads: list[threading.Thread] = []

    def __call__(self, *args: object) -> list[object]:
        if len(str(args[-1])) > OFFLOAD_CHARS:
            self.threads.append(threading.current_thread())
            self.started.set()
            self.release.wait(60)  # bounded: a run on the loop thread fails below, never hangs
        return self.real(*args)

    async def while_held(
        self, client: httpx.AsyncClient, big: asyncio.Task[httpx.Response]
    ) -> None:
        """Another request is answered while the big one is held; then let it go."""
        assert await asyncio.to_thread(self.started.wait, 60)
        health = await client.get("/healthz")
        assert health.status_code == 200
        assert not big.done()
        self.release.set()
        assert self.threads and threading.main_thread() not in self.threads


@pytest.fixture
async def client(agadir_home: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(home=agadir_home, knowledge={"packs": []}, embeddings_max_input_tokens=8)
    app = create_app(settings, enable_echo=True, dev_open=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as c:
            yield c


async def test_echo_splits_a_big_prompt_off_the_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = Hold(echo._split)
    monkeypatch.setattr(echo, "_split", hold)
    body = {"model": "echo", "messages": [{"role": "user", "content": BIG}], "max_tokens": 3}
    big = asyncio.create_task(client.post("/v1/chat/completions", json=body, timeout=120))
    await hold.while_held(client, big)
    r = await big
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == "mot mot mot "


async def test_encoder_counts_big_input_tokens_off_the_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = Hold(SentenceEncoderEngine._token_ids)
    # a function, so that it binds to the engine as the method it replaces does
    monkeypatch.setattr(
        SentenceEncoderEngine, "_token_ids", lambda engine, text: hold(engine, text)
    )
    body = {"model": DEFAULT_EMBEDDING_MODEL, "input": BIG}
    big = asyncio.create_task(client.post("/v1/embeddings", json=body, timeout=120))
    await hold.while_held(client, big)
    r = await big
    assert r.status_code == 413, r.text  # counted (off the loop), then refused by the cap
    assert r.json()["error"]["param"] == "input"
