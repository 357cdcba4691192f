"""Chat completions: resolve the model, ground on a knowledge base, shape chat's responses.

No FastAPI here: the router hands over a validated request and gets back either a response
object or an async iterator of SSE bytes. Streaming, usage, output policy and the audit record
come from `GenerationService`, shared with text completions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agadir.engines.base import ChatMessage, Delta, Engine, SamplingParams, TokenLogprob
from agadir.gateway.chat.protocol import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionRequest,
    ChoiceLogprobs,
    TokenLogprobOut,
    TopLogprob,
)
from agadir.gateway.generation import admit_generation
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.knowledge.grounding import (
    Grounding,
    check_access,
    ground,
    knowledge_base_of,
)
from agadir.gateway.serving import GenerationService, StreamSpec
from agadir.gateway.state import GatewayState
from agadir.gateway.usage import Usage, new_id, now


class ChatService(GenerationService):
    """One chat request: governed admission, grounding, and chat's response shape."""

    object_name = "chat.completion.chunk"
    id_prefix = "chatcmpl"

    def __init__(self, state: GatewayState, ctx: RequestContext) -> None:
        super().__init__(state, ctx)
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
        if cached is not None:
            self.ctx.extra["cached_answer"] = True
            generated = cached
        else:
            (generated,) = await self._gather([self._generate(engine, messages, params)])
            if self.grounding is not None:
                generated = await self.grounding.settle(generated)
                self.grounding.remember(generated)  # before the output policy, as generated
        (result,) = await self._finalise([generated], model)
        return ChatCompletion(
            id=new_id(self.id_prefix),
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
        engine, messages, params = await self._prepare(request)
        spec = StreamSpec(
            model=request.model,
            generated_by=self._generation_model(request),
            include_usage=bool(request.stream_options and request.stream_options.include_usage),
            logprobs=request.logprobs,
        )
        return await self._open_stream(
            [self._generate(engine, messages, params, streamed=True)], spec
        )

    # -- the chunk shape -------------------------------------------------------------------------
    def _opening_choice(self, index: int) -> dict[str, Any] | None:
        return {
            "index": index,
            "delta": {"role": "assistant", "content": ""},
            "finish_reason": None,
        }

    def _text_choice(
        self, index: int, text: str, logprobs: list[TokenLogprob] | None
    ) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": index, "delta": {"content": text}, "finish_reason": None}
        if logprobs is not None:
            choice["logprobs"] = _logprobs(logprobs).model_dump()
        return choice

    def _finish_choice(self, index: int, reason: str) -> dict[str, Any]:
        return {"index": index, "delta": {}, "finish_reason": reason}

    def _closing_fields(self, texts: list[str]) -> dict[str, Any]:
        citations = self._citations(texts[0])
        if citations is None or self.grounding is None:
            return {}
        return {"citations": citations, "answer_mode": self.grounding.answered}


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
