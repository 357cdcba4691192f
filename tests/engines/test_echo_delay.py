"""The echo engine's test-only token delay: what makes a stream observable in browser tests."""

from __future__ import annotations

import time

import pytest

from agadir.engines.base import ChatMessage, SamplingParams
from agadir.engines.echo import TOKEN_DELAY_ENV, EchoEngine


async def _stream(engine: EchoEngine, text: str) -> tuple[list[str], float]:
    start = time.monotonic()
    pieces = []
    async for delta in engine.stream_chat([ChatMessage("user", text)], SamplingParams()):
        if delta.text:
            pieces.append(delta.text)
    return pieces, time.monotonic() - start


async def test_the_delay_spaces_out_tokens_and_changes_nothing_else() -> None:
    pieces, took = await _stream(EchoEngine(token_delay_s=0.05), "one two three four")
    assert pieces == ["one ", "two ", "three ", "four"]
    assert took >= 4 * 0.05  # a lower bound only: a busy machine can only make it longer


async def test_the_delay_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_DELAY_ENV, "0.05")
    _, took = await _stream(EchoEngine(), "a b c")
    assert took >= 3 * 0.05
    monkeypatch.delenv(TOKEN_DELAY_ENV)
    assert EchoEngine()._token_delay_s == 0.0
