"""Text completions: every prompt shape OpenAI allows, `echo` + `logprobs` scoring, batching.

Prompts given as token ids go to the engine as ids (no re-tokenisation, which is what makes
log-likelihoods from lm-evaluation-harness line up with its own token boundaries). The input
PII policy still sees them: they are decoded for admission, and a prompt the policy changed is
encoded again from its policed text. Several prompts run concurrently, so llama.cpp's scheduler
decodes them in the same steps. Streaming, usage and audit come from `GenerationService`.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator
from typing import Any

from agadir.engines.base import Delta, Engine, SamplingParams, TokenEngine, TokenLogprob
from agadir.errors import InvalidRequestError
from agadir.gateway.completions.protocol import (
    Completion,
    CompletionChoice,
    CompletionLogprobs,
    CompletionRequest,
)
from agadir.gateway.generation import admissible_entry, admit_texts
from agadir.gateway.serving import GenerationService, StreamSpec
from agadir.gateway.usage import Usage, new_id, now

OPENAI_DEFAULT_MAX_TOKENS = 16  # OpenAI's default for /v1/completions


class CompletionService(GenerationService):
    object_name = "text_completion"
    id_prefix = "cmpl"

    async def _prepare(self, request: CompletionRequest) -> list[AsyncIterator[Delta]]:
        params = self._params(request)
        prompts = request.prompts()
        entry = admissible_entry(
            self.state, self.ctx, model=request.model, capability="completion", scope="completions"
        )
        engine: Engine | None = None
        texts: list[str] = []
        if any(isinstance(p, list) for p in prompts):
            engine = await self.state.engines.get(request.model)
            tokenizer = _token_engine(engine, request.model)
            texts = [p if isinstance(p, str) else await tokenizer.decode(p) for p in prompts]
        else:
            texts = [p for p in prompts if isinstance(p, str)]
        admitted = await admit_texts(
            self.state,
            self.ctx,
            entry,
            scope="completions",
            texts=texts,
            max_tokens=params.max_tokens * len(prompts),
        )
        if engine is None:
            engine = await self.state.engines.get(request.model)
        streams = []
        for prompt, original, text in zip(prompts, texts, admitted, strict=True):
            if isinstance(prompt, str):
                streams.append(engine.stream_complete(text, params, echo=request.echo))
                continue
            tokenizer = _token_engine(engine, request.model)
            ids = prompt if text == original else await tokenizer.encode(text, add_special=False)
            streams.append(tokenizer.stream_complete_ids(ids, params, echo=request.echo))
        return streams

    def _params(self, request: CompletionRequest) -> SamplingParams:
        params = request.sampling(
            self.state.settings.max_tokens_default,
            logprobs=request.logprobs is not None,
            top_logprobs=request.logprobs or 0,
        )
        max_tokens = request.max_tokens
        if max_tokens is None:
            max_tokens = OPENAI_DEFAULT_MAX_TOKENS
        # max_tokens=0 is allowed here (score the prompt only); `sampling` treats 0 as unset
        return SamplingParams(**{**_fields(params), "max_tokens": max_tokens})

    async def complete(self, request: CompletionRequest) -> Completion:
        streams = await self._prepare(request)
        results = await self._finalise(await self._gather(streams), request.model)
        return Completion(
            id=new_id(self.id_prefix),
            created=now(),
            model=request.model,
            choices=[
                CompletionChoice(
                    index=index,
                    text=result.text,
                    finish_reason=result.finish_reason,
                    logprobs=_logprobs(result.logprobs) if request.logprobs is not None else None,
                )
                for index, result in enumerate(results)
            ],
            usage=Usage.of(
                sum(r.prompt_tokens for r in results), sum(r.completion_tokens for r in results)
            ),
        )

    async def open_stream(self, request: CompletionRequest) -> AsyncIterator[bytes]:
        streams = await self._prepare(request)
        spec = StreamSpec(
            model=request.model,
            generated_by=request.model,
            include_usage=bool(request.stream_options and request.stream_options.include_usage),
            logprobs=request.logprobs is not None,
        )
        return await self._open_stream(streams, spec)

    # -- the chunk shape -------------------------------------------------------------------------
    def _text_choice(
        self, index: int, text: str, logprobs: list[TokenLogprob] | None
    ) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": index, "text": text, "finish_reason": None}
        if logprobs is not None:
            choice["logprobs"] = _logprobs(logprobs).model_dump()
        return choice

    def _finish_choice(self, index: int, reason: str) -> dict[str, Any]:
        return {"index": index, "text": "", "finish_reason": reason}


def _token_engine(engine: Engine, model: str) -> TokenEngine:
    if not isinstance(engine, TokenEngine):
        raise InvalidRequestError(
            f"Model '{model}' takes prompts as text only; send 'prompt' as a string or an "
            "array of strings.",
            param="prompt",
            code="unsupported_prompt",
        )
    return engine


def _fields(params: SamplingParams) -> dict[str, Any]:
    return {name: getattr(params, name) for name in params.__dataclass_fields__}


def _logprobs(items: list[TokenLogprob]) -> CompletionLogprobs:
    """OpenAI's parallel lists; `text_offset` counts characters of the text the tokens spell.

    A token may carry half of a UTF-8 character (byte-fallback tokens of Arabic or Tifinagh
    letters); counting its U+FFFD text would run the offsets ahead of the real positions, so
    the engine's bytes go through an incremental decoder: a token that starts inside a
    character gets that character's offset."""
    offsets: list[int] = []
    position = 0
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    for item in items:
        offsets.append(position)
        position += len(decoder.decode(item.raw or item.token.encode("utf-8")))
    return CompletionLogprobs(
        tokens=[i.token for i in items],
        token_logprobs=[i.logprob for i in items],
        top_logprobs=[dict(i.top) if i.top else None for i in items],
        text_offset=offsets,
    )
