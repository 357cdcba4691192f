"""The engine protocol: what every backend (llama.cpp, upstream servers, echo, encoders) offers.

Engines know nothing about HTTP. They take plain dataclasses and yield `Delta`s; the gateway
turns those into OpenAI-shaped responses. Non-streaming calls are built by collecting a stream,
so the two paths can never disagree.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from agadir.errors import InvalidRequestError

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length"]
Capability = Literal["chat", "completion", "embedding"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Generation settings shared by chat and completion requests."""

    max_tokens: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    logprobs: bool = False
    top_logprobs: int = 0
    json_mode: bool = False
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    # Request fields the gateway does not interpret (logit_bias, user, vLLM's top_k...):
    # engines that speak OpenAI's API forward them verbatim; in-process engines ignore them.
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class TokenLogprob:
    """One sampled (or echoed) token with its log-probability and the best alternatives."""

    token: str
    logprob: float | None
    top: tuple[tuple[str, float], ...] = ()
    offset: int = 0
    # The token's own bytes when the engine knows them: a token may hold half of a UTF-8
    # character (its `token` text then shows U+FFFD), and text offsets must count characters.
    raw: bytes = b""


@dataclass(slots=True)
class Delta:
    """A piece of a generation: new text, its tokens' logprobs, and the end when it comes."""

    text: str = ""
    logprobs: list[TokenLogprob] = field(default_factory=list)
    finish_reason: FinishReason | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(slots=True)
class Generation:
    """A whole generation, as collected from its deltas."""

    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    logprobs: list[TokenLogprob] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Embeddings:
    vectors: list[list[float]]
    prompt_tokens: int


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """What `/v1/models`, `agadir doctor` and the metrics say about a loaded engine."""

    kind: str
    model: str
    capabilities: tuple[Capability, ...]
    context_length: int
    detail: str = ""


@runtime_checkable
class Engine(Protocol):
    """One loaded model behind one backend. All methods are safe to call concurrently."""

    def info(self) -> EngineInfo: ...

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams
    ) -> AsyncIterator[Delta]: ...

    def stream_complete(
        self, prompt: str, params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]: ...

    async def embed(self, texts: Sequence[str]) -> Embeddings: ...

    async def tokenize(self, text: str) -> list[int]: ...

    async def count_tokens(self, text: str) -> int: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class TokenEngine(Protocol):
    """An engine whose tokenizer clients may use: prompts given as token ids, and vLLM's
    `/tokenize`, `/detokenize` and `/tokenizer_info` (what lm-evaluation-harness calls)."""

    def info(self) -> EngineInfo: ...

    def vocab_size(self) -> int: ...

    async def encode(self, text: str, *, add_special: bool) -> list[int]: ...

    async def encode_chat(self, messages: Sequence[ChatMessage]) -> list[int]: ...

    async def decode(self, tokens: Sequence[int]) -> str: ...

    def tokenizer_info(self) -> dict[str, object]: ...

    def stream_complete_ids(
        self, prompt: Sequence[int], params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]: ...


async def collect(stream: AsyncIterator[Delta]) -> Generation:
    """Gather a stream of deltas into one `Generation` (the non-streaming path).

    A stream that can produce its whole result more cheaply than delta by delta offers a
    `gather()` coroutine (the upstream engine asks its server for one non-streamed answer), and
    it is used instead of iterating.
    """
    gather = getattr(stream, "gather", None)
    if gather is not None:
        result: Generation = await gather()
        return result
    parts: list[str] = []
    logprobs: list[TokenLogprob] = []
    finish: FinishReason = "stop"
    prompt_tokens = completion_tokens = 0
    async for delta in stream:
        parts.append(delta.text)
        logprobs.extend(delta.logprobs)
        if delta.finish_reason is not None:
            finish = delta.finish_reason
        if delta.prompt_tokens is not None:
            prompt_tokens = delta.prompt_tokens
        if delta.completion_tokens is not None:
            completion_tokens = delta.completion_tokens
    return Generation("".join(parts), finish, prompt_tokens, completion_tokens, logprobs)


def unsupported(model: str, what: str) -> InvalidRequestError:
    """The error for asking a model for something it cannot do (chat on an encoder...)."""
    return InvalidRequestError(
        f"Model '{model}' does not support {what}. GET /v1/models lists each model's capabilities.",
        param="model",
        code="unsupported_capability",
    )
