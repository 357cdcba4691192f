"""Any OpenAI-compatible server inside the boundary (vLLM, llama-server, TGI, Ollama) as an engine.

Requests go through the egress guard, so an upstream on a host the operator did not allow-list is
refused before a socket opens. Token counting uses the upstream's `/tokenize` when it has one
(vLLM, llama-server) and otherwise an estimate of 4 characters per token, marked as such.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from agadir.config import Settings, UpstreamSettings
from agadir.egress import EgressPolicy, guarded_client
from agadir.engines.base import (
    ChatMessage,
    Delta,
    Embeddings,
    EngineInfo,
    SamplingParams,
    TokenLogprob,
)
from agadir.errors import AgadirError, EngineUnavailableError, InvalidRequestError


class UpstreamEngine:
    def __init__(self, config: UpstreamSettings, settings: Settings) -> None:
        self.config = config
        self.policy = EgressPolicy(settings.egress_allow)
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = guarded_client(
            self.policy,
            base_url=config.base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(config.timeout_s, connect=5.0),
        )
        self._remote_model = config.model or config.name

    def info(self) -> EngineInfo:
        return EngineInfo(
            kind="upstream",
            model=self.config.name,
            capabilities=("chat", "completion", "embedding"),
            context_length=0,
            detail=f"OpenAI-compatible server at {self.config.base_url}",
        )

    def _body(self, params: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._remote_model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        if params.json_mode:
            body["response_format"] = {"type": "json_object"}
        return body

    async def _sse(self, path: str, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        try:
            async with self._client.stream("POST", path, json=body) as response:
                if response.status_code >= 400:
                    detail = (await response.aread()).decode(errors="replace")[:500]
                    error_cls = (
                        InvalidRequestError
                        if response.status_code < 500
                        else EngineUnavailableError
                    )
                    raise error_cls(
                        f"Upstream '{self.config.name}' answered {response.status_code}: {detail}"
                    )
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        return
                    yield json.loads(payload)
        except AgadirError:
            raise
        except httpx.HTTPError as exc:
            raise EngineUnavailableError(
                f"Upstream '{self.config.name}' at {self.config.base_url} is unreachable ({exc}). "
                "Check that it is running and that its address is right in agadir.toml."
            ) from exc

    async def _stream(self, path: str, body: dict[str, Any], chat: bool) -> AsyncIterator[Delta]:
        finish: str = "stop"
        usage: dict[str, int] = {}
        async for event in self._sse(path, body):
            usage = event.get("usage") or usage
            for choice in event.get("choices", []):
                text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                logprobs = _logprobs(choice.get("logprobs"))
                if text or logprobs:
                    yield Delta(text=text or "", logprobs=logprobs)
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
        yield Delta(
            finish_reason="length" if finish == "length" else "stop",
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
        )

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams
    ) -> AsyncIterator[Delta]:
        body = self._body(params)
        body["messages"] = [{"role": m.role, "content": m.content} for m in messages]
        if params.logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = params.top_logprobs
        return self._stream("/chat/completions", body, chat=True)

    def stream_complete(
        self, prompt: str, params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]:
        body = self._body(params)
        body["prompt"] = prompt
        body["echo"] = echo
        if params.logprobs:
            body["logprobs"] = max(params.top_logprobs, 1)
        return self._stream("/completions", body, chat=False)

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        try:
            response = await self._client.post(
                "/embeddings", json={"model": self._remote_model, "input": list(texts)}
            )
        except httpx.HTTPError as exc:
            raise EngineUnavailableError(
                f"Upstream '{self.config.name}' unreachable: {exc}"
            ) from exc
        if response.status_code >= 400:
            raise InvalidRequestError(f"Upstream embeddings failed: {response.text[:300]}")
        data = response.json()
        vectors = [item["embedding"] for item in sorted(data["data"], key=lambda d: d["index"])]
        return Embeddings(vectors, data.get("usage", {}).get("prompt_tokens", 0))

    async def tokenize(self, text: str) -> list[int]:
        root = self.config.base_url.rstrip("/").removesuffix("/v1")
        try:
            response = await self._client.post(
                f"{root}/tokenize", json={"model": self._remote_model, "prompt": text}
            )
            if response.status_code == 200:
                tokens = response.json().get("tokens")
                if isinstance(tokens, list):
                    return [int(t) for t in tokens]
        except httpx.HTTPError:
            pass
        return list(range(max(1, len(text) // 4)))  # estimate: the upstream has no /tokenize

    async def count_tokens(self, text: str) -> int:
        return len(await self.tokenize(text))

    async def aclose(self) -> None:
        await self._client.aclose()


def _logprobs(raw: Any) -> list[TokenLogprob]:
    if not raw:
        return []
    if isinstance(raw, dict) and "content" in raw:  # chat shape
        return [
            TokenLogprob(
                item["token"],
                item.get("logprob"),
                tuple((t["token"], t["logprob"]) for t in item.get("top_logprobs") or []),
            )
            for item in raw["content"] or []
        ]
    if isinstance(raw, dict) and "tokens" in raw:  # completions shape
        tops = raw.get("top_logprobs") or [None] * len(raw["tokens"])
        return [
            TokenLogprob(tok, lp, tuple((top or {}).items()))
            for tok, lp, top in zip(
                raw["tokens"], raw.get("token_logprobs") or [], tops, strict=False
            )
        ]
    return []
