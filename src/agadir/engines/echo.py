"""A deterministic engine that repeats the prompt back: for tests and gateway-overhead benchmarks.

It costs no compute, so a benchmark against it measures the gateway alone. Token boundaries are
whitespace words, which keeps counts, `max_tokens`, `stop` and `logprobs` meaningful.

Test-only knob: `AGADIR_ECHO_TOKEN_DELAY_S` (seconds, default 0) sleeps that long before each
token, so a browser test can watch a stream that is still running and stop it mid-answer
instead of racing an answer that completes in milliseconds. Nothing but tests sets it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import AsyncIterator, Sequence

from agadir.engines.base import (
    ChatMessage,
    Delta,
    Embeddings,
    EngineInfo,
    SamplingParams,
    TokenLogprob,
)

_WORDS = re.compile(r"\S+\s*")
ECHO_DIM = 16
TOKEN_DELAY_ENV = "AGADIR_ECHO_TOKEN_DELAY_S"
# Text above this many characters is split into words in a worker thread: splitting megabytes
# is Python-level work that would otherwise hold the event loop (and every other request).
OFFLOAD_CHARS = 64 * 1024


def _split(text: str) -> list[str]:
    return _WORDS.findall(text)


async def _words(text: str) -> list[str]:
    """`text` as echo tokens, off the event loop when it is big."""
    if len(text) > OFFLOAD_CHARS:
        return await asyncio.to_thread(_split, text)
    return _split(text)


async def _count(texts: Sequence[str]) -> int:
    """The echo tokens in all of `texts`, off the event loop when they are big."""
    if sum(map(len, texts)) > OFFLOAD_CHARS:
        return await asyncio.to_thread(lambda: sum(len(_split(t)) for t in texts))
    return sum(len(_split(t)) for t in texts)


class EchoEngine:
    """Replies with the last user message (chat) or the prompt (completion), word by word."""

    def __init__(
        self, name: str = "echo", context_length: int = 8192, token_delay_s: float | None = None
    ) -> None:
        self._name = name
        self._context_length = context_length
        if token_delay_s is None:
            token_delay_s = float(os.environ.get(TOKEN_DELAY_ENV) or 0)
        self._token_delay_s = max(0.0, token_delay_s)

    def info(self) -> EngineInfo:
        return EngineInfo(
            kind="echo",
            model=self._name,
            capabilities=("chat", "completion", "embedding"),
            context_length=self._context_length,
            detail="deterministic echo (tests and overhead benchmarks)",
        )

    async def _generate(
        self,
        prompt: Sequence[str] | None,
        reply: str,
        params: SamplingParams,
        *,
        echo: bool = False,
    ) -> AsyncIterator[Delta]:
        """Count `prompt` (None: the reply is the prompt), then repeat `reply` word by word,
        after the prompt itself when `echo`. Splitting happens here, inside the stream, so a
        big request is split off the loop rather than when the stream is built."""
        words = await _words(reply)
        prompt_tokens = len(words) if prompt is None else await _count(prompt)
        prefix = words if echo else []
        out_tokens = 0
        text_so_far = ""
        finish: str = "stop"
        if prefix:
            yield Delta(
                text="".join(prefix),
                logprobs=[TokenLogprob(t, None) for t in prefix] if params.logprobs else [],
            )
        for token in words:
            if out_tokens >= params.max_tokens:
                finish = "length"
                break
            if self._token_delay_s:
                await asyncio.sleep(self._token_delay_s)
            candidate = text_so_far + token
            cut = _first_stop(candidate, params.stop)
            if cut is not None:
                tail = candidate[:cut][len(text_so_far) :]
                if tail:
                    yield Delta(text=tail)
                break
            text_so_far = candidate
            out_tokens += 1
            lp = [TokenLogprob(token, 0.0, ((token, 0.0),))] if params.logprobs else []
            yield Delta(text=token, logprobs=lp)
        yield Delta(
            finish_reason="length" if finish == "length" else "stop",
            prompt_tokens=prompt_tokens,
            completion_tokens=out_tokens,
        )

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams
    ) -> AsyncIterator[Delta]:
        users = [m.content for m in messages if m.role == "user"]
        reply = users[-1] if users else ""
        return self._generate([m.content for m in messages], reply, params)

    def stream_complete(
        self, prompt: str, params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]:
        return self._generate(None, prompt, params, echo=echo)

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        vectors = []
        for text in texts:
            digest = hashlib.sha256(text.encode()).digest()
            vectors.append([(b - 127.5) / 127.5 for b in digest[:ECHO_DIM]])
        return Embeddings(vectors, await _count(texts))

    async def tokenize(self, text: str) -> list[int]:
        return [
            int.from_bytes(hashlib.blake2b(t.encode(), digest_size=3).digest(), "big")
            for t in await _words(text)
        ]

    async def count_tokens(self, text: str) -> int:
        return await _count([text])

    async def aclose(self) -> None:
        return None


def _first_stop(text: str, stops: Sequence[str]) -> int | None:
    """Index where the earliest stop sequence starts in `text`, if any."""
    hits = [i for s in stops if s and (i := text.find(s)) >= 0]
    return min(hits) if hits else None
