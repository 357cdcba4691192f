"""Any OpenAI-compatible server inside the boundary (vLLM, llama-server, TGI, Ollama, another
Agadir) as an engine, through the official `openai` async client.

Requests go through the egress guard, so an upstream on a host the operator did not allow-list is
refused before a socket opens. One entry may list several replicas (`upstream_replicas`).

- Context length: `context_length` from the config, else what the upstream's `/v1/models` reports
  (`engines.upstream_wire.context_length_of`), else `FALLBACK_CONTEXT` until it answers.
- Token ids come from the upstream's `/tokenize` (vLLM, llama-server). An upstream without one
  has no token ids to give: `tokenize()` refuses rather than invent them, and `count_tokens()`
  estimates one token per 3 characters (conservative: it errs towards too many).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx2
import openai

from agadir.config import Settings, UpstreamSettings
from agadir.egress import EgressPolicy
from agadir.engines.base import (
    ChatMessage,
    Delta,
    Embeddings,
    EngineInfo,
    SamplingParams,
)
from agadir.engines.upstream_call import Request, UpstreamCall
from agadir.engines.upstream_lora import AdapterReport
from agadir.engines.upstream_replicas import Replica, ReplicaSet
from agadir.engines.upstream_wire import chat_body, completion_body, context_length_of
from agadir.errors import InvalidRequestError

FALLBACK_CONTEXT = 4096
_JsonStream = openai.AsyncStream[object]  # SSE framing by the SDK, each event as plain JSON
_CHARS_PER_TOKEN_ESTIMATE = 3


class UpstreamEngine:
    def __init__(self, config: UpstreamSettings, settings: Settings) -> None:
        self.config = config
        self.policy = EgressPolicy(settings.egress_allow)
        self.replicas = ReplicaSet(config, self.policy)
        self._remote_model = config.model or config.name
        self._context_length: int | None = config.context_length
        self._has_tokenizer: bool | None = None  # unknown until the first /tokenize
        # per replica, what `lora_adapters` reconciliation found at start (upstream_lora.py)
        self.adapter_reports: list[AdapterReport] = []

    def info(self) -> EngineInfo:
        urls = ", ".join(self.config.urls)
        return EngineInfo(
            kind="upstream",
            model=self.config.name,
            capabilities=("chat", "completion", "embedding"),
            context_length=self._context_length or FALLBACK_CONTEXT,
            detail=f"OpenAI-compatible server at {urls}",
        )

    @property
    def context_known(self) -> bool:
        return self._context_length is not None

    async def prepare(self) -> None:
        """Learn the context length from the replicas and start health checks (idempotent)."""
        self.replicas.start_health_checks()
        if self._context_length is not None:
            return
        for replica in self.replicas.replicas:
            body = await self.replicas.probe(replica)
            cards = body.get("data") if body else None
            if not isinstance(cards, list):
                continue
            mine = [c for c in cards if isinstance(c, dict) and c.get("id") == self._remote_model]
            for card in mine or [c for c in cards if isinstance(c, dict)][:1]:
                self._context_length = context_length_of(card)
            if self._context_length is not None:
                return

    # -- generation -----------------------------------------------------------------------------
    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams
    ) -> AsyncIterator[Delta]:
        body = chat_body(self._remote_model, messages, params)
        return UpstreamCall(
            self.replicas, _requester("/chat/completions", body, self.config), chat=True
        )

    def stream_complete(
        self, prompt: str, params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]:
        body = completion_body(self._remote_model, prompt, params, echo=echo)
        return UpstreamCall(
            self.replicas, _requester("/completions", body, self.config), chat=False
        )

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        body = {"model": self._remote_model, "input": list(texts), "encoding_format": "float"}
        replica, response = await self.replicas.run(lambda r: r.json.post("/embeddings", body))
        self.replicas.release(replica, ok=True, seconds=0.0)
        items = sorted(response["data"], key=lambda d: d["index"])
        usage = response.get("usage") or {}
        return Embeddings([item["embedding"] for item in items], usage.get("prompt_tokens") or 0)

    # -- tokens ---------------------------------------------------------------------------------
    async def tokenize(self, text: str) -> list[int]:
        tokens = await self._remote_tokens(text)
        if tokens is None:
            raise InvalidRequestError(
                f"Upstream '{self.config.name}' has no /tokenize endpoint, so its token ids are "
                "unknown; count tokens with an upstream that has one (vLLM, llama-server).",
                code="unsupported_capability",
            )
        return tokens

    async def count_tokens(self, text: str) -> int:
        tokens = await self._remote_tokens(text)
        if tokens is not None:
            return len(tokens)
        return max(1, math.ceil(len(text) / _CHARS_PER_TOKEN_ESTIMATE))

    async def _remote_tokens(self, text: str) -> list[int] | None:
        """Token ids from the upstream's `/tokenize`, or None when it has none (asked once)."""
        if self._has_tokenizer is False:
            return None
        replica, response = await self.replicas.run(lambda r: self._post_tokenize(r, text))
        self.replicas.release(replica, ok=None, seconds=0.0)
        if response.status_code >= 500:
            return None  # unknown for now; asked again next time
        try:
            tokens = response.json().get("tokens") if response.status_code == 200 else None
        except ValueError:
            tokens = None
        if not isinstance(tokens, list):
            self._has_tokenizer = False
            return None
        self._has_tokenizer = True
        return [int(t["id"] if isinstance(t, dict) else t) for t in tokens]

    async def _post_tokenize(self, replica: Replica, text: str) -> httpx2.Response:
        root = replica.url.removesuffix("/v1")
        # vLLM reads `model` and `prompt`, llama-server `content`; each ignores the other's
        body = {"model": self._remote_model, "prompt": text, "content": text}
        return await replica.http.post(f"{root}/tokenize", json=body, headers=self.replicas.auth())

    async def aclose(self) -> None:
        await self.replicas.aclose()


def _requester(path: str, body: dict[str, Any], config: UpstreamSettings) -> Request:
    """The call `UpstreamCall` makes on a replica: whole answers and streams through its
    `Poster` (Agadir's own HTTP/1.1 client or aiohttp, orjson, Agadir's SSE reader); with
    `http_client = "httpx"`, streams through the SDK's low-level `post` instead (its SSE
    decoder, each event as plain JSON).

    Why not `chat.completions.create()`: its typed transform of the request and the response
    models cost several times the rest of the gateway per request (docs/benchmarks.md), and a
    plain body passes on fields the SDK's signature does not know without `extra_body`.
    """
    streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
    sdk_streams = config.http_client == "httpx"

    def request(replica: Replica, stream: bool) -> Any:
        if stream and sdk_streams:
            return replica.client.post(
                path, body=streamed, cast_to=object, stream=True, stream_cls=_JsonStream
            )
        if stream:
            return replica.json.stream(path, streamed)
        return replica.json.post(path, body)

    return request
