"""Text completions, including `echo` + `logprobs` scoring for log-likelihood evaluation."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from agadir.audit import AuditUnavailableError
from agadir.engines.base import Delta, Engine, SamplingParams, TokenLogprob, collect
from agadir.gateway.completions.protocol import (
    Completion,
    CompletionChoice,
    CompletionLogprobs,
    CompletionRequest,
)
from agadir.gateway.generation import admit_generation, finish_generation
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.sse import DONE, event
from agadir.gateway.state import GatewayState
from agadir.gateway.usage import Usage, new_id, now


class CompletionService:
    def __init__(self, state: GatewayState, ctx: RequestContext) -> None:
        self.state = state
        self.ctx = ctx
        self.gov = state.governance

    async def _prepare(self, request: CompletionRequest) -> tuple[Engine, str, SamplingParams]:
        params = self._params(request)
        engine, (prompt,) = await admit_generation(
            self.state,
            self.ctx,
            model=request.model,
            capability="completion",
            scope="completions",
            texts=[request.prompt_text()],
            max_tokens=params.max_tokens,
        )
        return engine, prompt, params

    def _params(self, request: CompletionRequest) -> SamplingParams:
        max_tokens = request.max_tokens
        if max_tokens is None:
            max_tokens = 16  # OpenAI's default for /v1/completions
        params = request.sampling(
            self.state.settings.max_tokens_default,
            logprobs=request.logprobs is not None,
            top_logprobs=request.logprobs or 0,
        )
        # max_tokens=0 is allowed here (score the prompt only); `sampling` treats 0 as unset
        return SamplingParams(**{**_fields(params), "max_tokens": max_tokens})

    async def complete(self, request: CompletionRequest) -> Completion:
        engine, prompt, params = await self._prepare(request)
        result = await finish_generation(
            self.state,
            self.ctx,
            request.model,
            await collect(engine.stream_complete(prompt, params, echo=request.echo)),
        )
        return Completion(
            id=new_id("cmpl"),
            created=now(),
            model=request.model,
            choices=[
                CompletionChoice(
                    text=result.text,
                    finish_reason=result.finish_reason,
                    logprobs=_logprobs(result.logprobs) if request.logprobs is not None else None,
                )
            ],
            usage=Usage.of(result.prompt_tokens, result.completion_tokens),
        )

    async def open_stream(self, request: CompletionRequest) -> AsyncIterator[bytes]:
        engine, prompt, params = await self._prepare(request)
        stream = engine.stream_complete(prompt, params, echo=request.echo)
        started = time.perf_counter()
        first = await anext(stream)
        self.state.metrics.ttft.labels(request.model).observe(time.perf_counter() - started)
        return self._sse(request, stream, first)

    async def _sse(
        self, request: CompletionRequest, stream: AsyncIterator[Delta], first: Delta
    ) -> AsyncIterator[bytes]:
        base = {
            "id": new_id("cmpl"),
            "object": "text_completion",
            "created": now(),
            "model": request.model,
        }
        pii = self.gov.output_filter(self.ctx)
        parts: list[str] = []
        try:
            delta: Delta | None = first
            while delta is not None:
                text = delta.text if pii is None else pii.push(delta.text)
                if delta.finish_reason is not None and pii is not None:
                    text += pii.flush()
                parts.append(text)
                choice: dict[str, Any] = {
                    "index": 0,
                    "text": text,
                    "finish_reason": delta.finish_reason,
                }
                if request.logprobs is not None and delta.logprobs:
                    choice["logprobs"] = _logprobs(delta.logprobs).model_dump()
                body: dict[str, Any] = {**base, "choices": [choice]}
                if delta.finish_reason is not None:
                    usage = Usage.of(delta.prompt_tokens or 0, delta.completion_tokens or 0)
                    self.state.metrics.record_tokens(
                        request.model, usage.prompt_tokens, usage.completion_tokens
                    )
                    await self.gov.settle(
                        self.ctx, usage.prompt_tokens, usage.completion_tokens, "".join(parts), pii
                    )
                    body["usage"] = usage.model_dump()
                    yield event(body)
                    try:
                        await self.gov.audit(self.ctx, 200)
                    except AuditUnavailableError as exc:
                        yield event(exc.to_openai())
                        return
                    yield DONE
                    return
                if text or delta.logprobs:
                    yield event(body)
                delta = await anext(stream, None)
        finally:
            if isinstance(stream, AsyncGenerator):
                await stream.aclose()


def _fields(params: SamplingParams) -> dict[str, Any]:
    return {name: getattr(params, name) for name in params.__dataclass_fields__}


def _logprobs(items: list[TokenLogprob]) -> CompletionLogprobs:
    offsets: list[int] = []
    position = 0
    for item in items:
        offsets.append(position)
        position += len(item.token)
    return CompletionLogprobs(
        tokens=[i.token for i in items],
        token_logprobs=[i.logprob for i in items],
        top_logprobs=[dict(i.top) if i.top else None for i in items],
        text_offset=offsets,
    )
