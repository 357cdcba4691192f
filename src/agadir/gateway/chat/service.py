"""Chat completions: resolve the model, run the engine, shape OpenAI responses and usage.

No FastAPI here: the router hands over a validated request and gets back either a response
object or an async iterator of SSE bytes.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from agadir.audit import AuditUnavailableError
from agadir.engines.base import (
    ChatMessage,
    Delta,
    Engine,
    SamplingParams,
    TokenLogprob,
    collect,
)
from agadir.gateway.chat.protocol import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionRequest,
    ChoiceLogprobs,
    TokenLogprobOut,
    TopLogprob,
)
from agadir.gateway.generation import admit_generation, finish_generation
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.pii_stream import StreamingPiiFilter
from agadir.gateway.knowledge.grounding import (
    Grounding,
    check_access,
    ground,
    knowledge_base_of,
)
from agadir.gateway.sse import DONE, event
from agadir.gateway.state import GatewayState
from agadir.gateway.usage import Usage, new_id, now


class ChatService:
    """One chat request: governed admission, generation, output policy, usage."""

    def __init__(self, state: GatewayState, ctx: RequestContext) -> None:
        self.state = state
        self.ctx = ctx
        self.gov = state.governance
        self.grounding: Grounding | None = None

    def _generation_model(self, request: ChatCompletionRequest) -> str:
        """`kb:NAME` answers with the server's default model; any other name is the model."""
        if request.model.startswith("kb:"):
            return self.state.settings.model
        return request.model

    async def _prepare(
        self, request: ChatCompletionRequest
    ) -> tuple[Engine, list[ChatMessage], SamplingParams]:
        json_mode = request.response_format.is_json() if request.response_format else False
        params = request.sampling(
            self.state.settings.max_tokens_default,
            logprobs=request.logprobs,
            top_logprobs=request.top_logprobs or 0,
            json_mode=json_mode,
            max_tokens=request.max_completion_tokens,
        )
        kb = knowledge_base_of(request.model, request.knowledge_base)
        if kb is not None:  # policy before quota: may this key read the base at all?
            self.grounding = await check_access(
                self.state,
                self.ctx,
                kb,
                model=self._generation_model(request),
                mode=request.answer_mode,
            )
        engine, texts = await admit_generation(
            self.state,
            self.ctx,
            model=self._generation_model(request),
            capability="chat",
            scope="chat",
            texts=[m.text() for m in request.messages],
            max_tokens=params.max_tokens,
        )
        messages = [ChatMessage(m.role, t) for m, t in zip(request.messages, texts, strict=True)]
        if self.grounding is not None:
            messages = await ground(self.grounding, self.ctx, engine, messages, params)
        return engine, messages, params

    def _generate(
        self,
        engine: Engine,
        messages: list[ChatMessage],
        params: SamplingParams,
        streamed: bool = False,
    ) -> AsyncIterator[Delta]:
        if self.grounding is not None:
            return self.grounding.answer(engine, messages, params, streamed)
        return engine.stream_chat(messages, params)

    def _citations(self, answer: str) -> list[dict[str, Any]] | None:
        return None if self.grounding is None else self.grounding.citations(answer)

    async def complete(self, request: ChatCompletionRequest) -> ChatCompletion:
        engine, messages, params = await self._prepare(request)
        model = self._generation_model(request)
        cached = self.grounding.cached() if self.grounding is not None else None
        generated = cached or await collect(self._generate(engine, messages, params))
        if self.grounding is not None and cached is None:
            generated = await self.grounding.settle(generated)
            self.grounding.remember(generated)
        if cached is not None:
            self.ctx.extra["cached_answer"] = True
        result = await finish_generation(self.state, self.ctx, model, generated)
        return ChatCompletion(
            id=new_id("chatcmpl"),
            created=now(),
            model=request.model,
            choices=[
                ChatChoice(
                    message=AssistantMessage(content=result.text),
                    finish_reason=result.finish_reason,
                    logprobs=_logprobs(result.logprobs) if request.logprobs else None,
                )
            ],
            usage=Usage.of(result.prompt_tokens, result.completion_tokens),
            citations=self._citations(result.text),
            answer_mode=self.grounding.answered if self.grounding is not None else None,
        )

    async def open_stream(self, request: ChatCompletionRequest) -> AsyncIterator[bytes]:
        """Validate and start the generation *before* the 200 goes out, then stream it.

        Errors found up front (unknown model, prompt too long) become proper HTTP errors; the
        first delta is awaited here so they surface before streaming starts.
        """
        engine, messages, params = await self._prepare(request)
        stream = self._generate(engine, messages, params, streamed=True)
        started = time.perf_counter()
        first = await anext(stream)
        self.state.metrics.ttft.labels(request.model).observe(time.perf_counter() - started)
        return self._sse(request, stream, first)

    async def _sse(
        self, request: ChatCompletionRequest, stream: AsyncIterator[Delta], first: Delta
    ) -> AsyncIterator[bytes]:
        base = {
            "id": new_id("chatcmpl"),
            "object": "chat.completion.chunk",
            "created": now(),
            "model": request.model,
        }

        def chunk(
            delta: dict[str, Any],
            finish: str | None = None,
            logprobs: list[TokenLogprob] | None = None,
        ) -> bytes:
            choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
            if logprobs is not None:
                choice["logprobs"] = _logprobs(logprobs).model_dump()
            return event({**base, "choices": [choice]})

        include_usage = bool(request.stream_options and request.stream_options.include_usage)
        pii = self.gov.output_filter(self.ctx)
        parts: list[str] = []
        try:
            yield chunk({"role": "assistant", "content": ""})
            delta: Delta | None = first
            while delta is not None:
                text = delta.text if pii is None else pii.push(delta.text)
                if delta.finish_reason is not None:
                    text += pii.flush() if pii is not None else ""
                parts.append(text)
                if delta.finish_reason is not None:
                    if text:
                        yield chunk({"content": text})
                    async for tail in self._finish(request, delta, base, pii, parts, include_usage):
                        yield tail
                    return
                if text or delta.logprobs:
                    yield chunk(
                        {"content": text}, logprobs=delta.logprobs if request.logprobs else None
                    )
                delta = await anext(stream, None)
        finally:
            if isinstance(stream, AsyncGenerator):
                await stream.aclose()  # stops the generation when the client disconnected

    async def _finish(
        self,
        request: ChatCompletionRequest,
        last: Delta,
        base: dict[str, Any],
        pii: StreamingPiiFilter | None,
        parts: list[str],
        include_usage: bool,
    ) -> AsyncIterator[bytes]:
        """Final chunk with usage, the durable audit record, then `[DONE]`."""
        usage = Usage.of(last.prompt_tokens or 0, last.completion_tokens or 0)
        self.state.metrics.record_tokens(
            request.model, usage.prompt_tokens, usage.completion_tokens
        )
        await self.gov.settle(
            self.ctx, usage.prompt_tokens, usage.completion_tokens, "".join(parts), pii
        )
        choice = {"index": 0, "delta": {}, "finish_reason": last.finish_reason}
        final: dict[str, Any] = {**base, "choices": [choice], "usage": usage.model_dump()}
        citations = self._citations("".join(parts))
        if citations is not None and self.grounding is not None:
            final["citations"] = citations
            final["answer_mode"] = self.grounding.answered
        yield event(final)
        if include_usage:
            yield event({**base, "choices": [], "usage": usage.model_dump()})
        try:
            await self.gov.audit(self.ctx, 200)
        except AuditUnavailableError as exc:
            yield event(exc.to_openai())
            return
        yield DONE


def _logprobs(items: list[TokenLogprob]) -> ChoiceLogprobs:
    return ChoiceLogprobs(
        content=[
            TokenLogprobOut(
                token=item.token,
                logprob=item.logprob if item.logprob is not None else 0.0,
                bytes=list(item.token.encode("utf-8")),
                top_logprobs=[
                    TopLogprob(token=t, logprob=v, bytes=list(t.encode("utf-8")))
                    for t, v in item.top
                ],
            )
            for item in items
        ]
    )
