"""Grounded chat: what the chat service asks of a knowledge base before and after generating.

`open_grounding` runs after governance admitted the request (so the question it searches with
has already been through the tenant's PII policy) and before the engine: it retrieves, keeps
the supporting passages, records their chunk ids for the audit record, and builds the
grounding system message. `Grounding.citations` is called with the final answer text.

Answer modes (docs/knowledge.md): `extractive` quotes the passages' answering sentences and
calls no model; `generative` lets the model write; `auto` is extractive for a model too small
to write a grounded answer (a local file under `knowledge.extractive_below_bytes`) and
otherwise generative, falling back to the extractive answer when the model cites no passage.
`Grounding.answered` says which mode produced the answer, for the response.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from agadir.engines.base import ChatMessage, Delta, Engine, Generation, SamplingParams
from agadir.errors import ContextLengthExceededError, ModelNotFoundError
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.state import GatewayState
from agadir.knowledge.answer_cache import AnswerCache, answer_key
from agadir.knowledge.bases import KnowledgeBase
from agadir.knowledge.extractive import extract, render
from agadir.knowledge.grounding import (
    cited_indices,
    no_answer,
    supporting,
    system_prompt,
    verified_citations,
)
from agadir.knowledge.retrieval import Retrieved, query_language
from agadir.knowledge.service import KnowledgeService

PASSAGES = 5
# Passages given to the model, in tokens at most: prefill dominates a grounded answer on a CPU
# (a 2k-token Arabic prompt takes SmolLM2 tens of seconds on 2 busy cores), and the citations
# carry every supporting passage whole anyway.
PASSAGE_BUDGET = 768
KB_MODEL_PREFIX = "kb:"
AnswerMode = Literal["auto", "extractive", "generative"]


def knowledge_base_of(model: str, knowledge_base: str | None) -> str | None:
    """The base a chat request asks for: `model: "kb:NAME"` or `knowledge_base: NAME`."""
    if knowledge_base:
        return knowledge_base
    return model[len(KB_MODEL_PREFIX) :] if model.startswith(KB_MODEL_PREFIX) else None


@dataclass
class Grounding:
    base: KnowledgeBase
    service: KnowledgeService
    hits: list[Retrieved] = field(default_factory=list)
    lang: str = "und"
    question: str = ""
    mode: AnswerMode = "generative"  # resolved: auto here means generative with fallback
    answered: str = "generative"  # the mode that produced the answer (the response says it)

    cache_key: str | None = None
    cache_generation: int = 0

    @property
    def unsupported(self) -> bool:
        return not self.hits

    def cached(self) -> Generation | None:
        """The cached answer for this exact grounded request, if any."""
        if self.cache_key is None:
            return None
        hit = AnswerCache(self.service.store).get(self.cache_key)
        if hit is None:
            return None
        self.answered = hit.get("mode", self.answered)
        return Generation(hit["text"], hit["finish_reason"], hit["prompt"], hit["completion"], [])

    def remember(self, result: Generation) -> None:
        if self.cache_key is None or result.finish_reason not in ("stop", "length"):
            return
        answer = {
            "text": result.text,
            "finish_reason": result.finish_reason,
            "prompt": result.prompt_tokens,
            "completion": result.completion_tokens,
            "mode": self.answered,
        }
        documents = [h.passage.document_id for h in self.hits]
        AnswerCache(self.service.store).put(
            self.cache_key, self.base.name, self.cache_generation, answer, documents
        )

    def citations(self, answer: str) -> list[dict[str, Any]]:
        return [c.to_dict() for c in verified_citations(self.service.docs, self.hits, answer)]

    def answer(
        self, engine: Engine, messages: list[ChatMessage], params: SamplingParams, streamed: bool
    ) -> AsyncIterator[Delta]:
        """The answer's deltas in this request's mode (see the module notes)."""
        if self.unsupported:
            return self.no_answer_stream()
        if self.mode == "extractive":
            return self.extractive_stream()
        self.answered = "generative"
        stream = engine.stream_chat(messages, params)
        if self.mode == "auto" and streamed:
            return self._with_fallback(stream)
        return stream

    async def extractive_text(self) -> str:
        chosen = await extract(self.question, self.lang, self.hits, self.service.retriever.embed)
        return render(chosen)

    async def extractive_stream(self) -> AsyncIterator[Delta]:
        """The quoted sentences, with no model call (so no tokens are counted)."""
        self.answered = "extractive"
        text = await self.extractive_text()
        if not text:  # no passage holds a quotable sentence: say so rather than quote nothing
            text = no_answer(self.lang, self.base.title)
        yield Delta(text=text, finish_reason="stop", prompt_tokens=0, completion_tokens=0)

    def cites_nothing(self, answer: str) -> bool:
        return not cited_indices(answer, len(self.hits))

    async def settle(self, result: Generation) -> Generation:
        """Non-streamed auto: a generated answer that cites no passage is replaced by the
        extractive one (its token counts kept: the model did run)."""
        if self.mode != "auto" or self.unsupported or not self.cites_nothing(result.text):
            return result
        text = await self.extractive_text()
        if not text:
            return result
        self.answered = "extractive"
        return Generation(text, "stop", result.prompt_tokens, result.completion_tokens, [])

    async def _with_fallback(self, stream: AsyncIterator[Delta]) -> AsyncIterator[Delta]:
        """Streamed auto: what was streamed cannot be taken back, so when the finished answer
        cites no passage the quoted sentences follow it, and the mode says both."""
        parts: list[str] = []
        try:
            async for delta in stream:
                parts.append(delta.text)
                if delta.finish_reason is None:
                    yield delta
                    continue
                if self.cites_nothing("".join(parts)):
                    quoted = await self.extractive_text()
                    if quoted:
                        delta.text += "\n\n" + quoted
                        self.answered = "generative+extractive"
                yield delta
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    async def no_answer_stream(self) -> AsyncIterator[Delta]:
        """The answer when nothing supports one: said plainly, no model called."""
        yield Delta(
            text=no_answer(self.lang, self.base.title),
            finish_reason="stop",
            prompt_tokens=0,
            completion_tokens=0,
        )


async def check_access(
    state: GatewayState,
    ctx: RequestContext,
    name: str,
    *,
    model: str = "",
    mode: AnswerMode | None = None,
) -> Grounding:
    """Policy step: may this key read the base? (403, with no hint of its content, if not.)
    Also settles the answer mode for `model` (module notes)."""
    assert ctx.principal is not None
    service = await knowledge(state)
    base = service.require_read(ctx.principal, name)
    ctx.extra["kb"] = name
    resolved = resolve_mode(state, model, mode)
    ctx.extra["answer_mode"] = resolved
    return Grounding(base, service, mode=resolved)


def resolve_mode(state: GatewayState, model: str, mode: AnswerMode | None) -> AnswerMode:
    """The request's mode, else the settings' default; `auto` becomes `extractive` for a
    local model file under the size threshold (unknown sizes count as large)."""
    wanted = mode or state.settings.knowledge.answer_mode
    if wanted != "auto":
        return wanted
    threshold = state.settings.knowledge.extractive_below_bytes
    try:
        manifest = state.engines.entry(model).manifest
    except ModelNotFoundError:  # an unknown model: admission reports it properly just after
        return "auto"
    size = manifest.size_bytes if manifest is not None else 0
    return "extractive" if 0 < size < threshold else "auto"


async def ground(
    grounding: Grounding,
    ctx: RequestContext,
    engine: Engine,
    messages: list[ChatMessage],
    params: SamplingParams,
) -> list[ChatMessage]:
    """Retrieve for the last user message and return the messages with grounding prepended."""
    # read before retrieving: an ingest or erasure after this point changes it, and the
    # answer is then not cached (AnswerCache.put compares)
    generations = grounding.service.bases.generations([grounding.base.name])
    grounding.cache_generation = generations.get(grounding.base.name, 0)
    question = next((m.content for m in reversed(messages) if m.role == "user"), "")
    grounding.question = question
    grounding.lang = query_language(question) if question.strip() else "und"
    hits = await grounding.service.search(
        [grounding.base.name], question, k=PASSAGES, lang=grounding.lang
    )
    grounding.hits = supporting(hits, question, grounding.lang)
    ctx.chunks = [str(h.passage.chunk_id) for h in grounding.hits]
    if grounding.unsupported or grounding.mode == "extractive":
        return messages  # no model call: no prompt to build, nothing worth caching
    conversation = [m for m in messages if m.role != "system"]
    used = sum([await engine.count_tokens(m.content) for m in conversation])
    room = engine.info().context_length - params.max_tokens - used - 64
    if room < 64:
        raise ContextLengthExceededError(
            "the conversation leaves no room for knowledge passages in this model's context; "
            "start a new conversation or lower max_tokens",
            param="messages",
        )
    budget = min(room, PASSAGE_BUDGET)
    prompt = await system_prompt(
        grounding.base.title, grounding.lang, grounding.hits, budget, engine.count_tokens
    )
    grounded = [ChatMessage("system", prompt), *conversation]
    if params.temperature == 0 and not params.logprobs:
        payload = [
            [(m.role, m.content) for m in grounded],
            params.max_tokens,
            list(params.stop),
            params.json_mode,
            grounding.mode,
        ]
        grounding.cache_key = answer_key(
            grounding.base.name, grounding.cache_generation, engine.info().model,
            payload,
        )  # fmt: skip
    return grounded
