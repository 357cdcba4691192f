"""Grounded chat: what the chat service asks of a knowledge base before and after generating.

`open_grounding` runs after governance admitted the request (so the question it searches with
has already been through the tenant's PII policy) and before the engine: it retrieves, keeps
the supporting passages, records their chunk ids for the audit record, and builds the
grounding system message. `Grounding.citations` is called with the final answer text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from agadir.engines.base import ChatMessage, Delta, Engine, Generation, SamplingParams
from agadir.errors import ContextLengthExceededError
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.state import GatewayState
from agadir.knowledge.answer_cache import AnswerCache, answer_key
from agadir.knowledge.bases import KnowledgeBase
from agadir.knowledge.grounding import no_answer, supporting, system_prompt, verified_citations
from agadir.knowledge.retrieval import Retrieved, query_language
from agadir.knowledge.service import KnowledgeService

PASSAGES = 5
# Passages given to the model, in tokens at most: prefill dominates a grounded answer on a CPU
# (a 2k-token Arabic prompt takes SmolLM2 tens of seconds on 2 busy cores), and the citations
# carry every supporting passage whole anyway.
PASSAGE_BUDGET = 768
KB_MODEL_PREFIX = "kb:"


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
        return Generation(hit["text"], hit["finish_reason"], hit["prompt"], hit["completion"], [])

    def remember(self, result: Generation) -> None:
        if self.cache_key is None or result.finish_reason not in ("stop", "length"):
            return
        answer = {
            "text": result.text,
            "finish_reason": result.finish_reason,
            "prompt": result.prompt_tokens,
            "completion": result.completion_tokens,
        }
        documents = [h.passage.document_id for h in self.hits]
        AnswerCache(self.service.store).put(
            self.cache_key, self.base.name, self.cache_generation, answer, documents
        )

    def citations(self, answer: str) -> list[dict[str, Any]]:
        return [c.to_dict() for c in verified_citations(self.service.docs, self.hits, answer)]

    async def no_answer_stream(self) -> AsyncIterator[Delta]:
        """The answer when nothing supports one: said plainly, no model called."""
        yield Delta(
            text=no_answer(self.lang, self.base.title),
            finish_reason="stop",
            prompt_tokens=0,
            completion_tokens=0,
        )


async def check_access(state: GatewayState, ctx: RequestContext, name: str) -> Grounding:
    """Policy step: may this key read the base? (403, with no hint of its content, if not.)"""
    assert ctx.principal is not None
    service = await knowledge(state)
    base = service.require_read(ctx.principal, name)
    ctx.extra["kb"] = name
    return Grounding(base, service)


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
    grounding.lang = query_language(question) if question.strip() else "und"
    hits = await grounding.service.search(
        [grounding.base.name], question, k=PASSAGES, lang=grounding.lang
    )
    grounding.hits = supporting(hits, question, grounding.lang)
    ctx.chunks = [str(h.passage.chunk_id) for h in grounding.hits]
    if grounding.unsupported:
        return messages
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
        ]
        grounding.cache_key = answer_key(
            grounding.base.name, grounding.cache_generation, engine.info().model,
            payload,
        )  # fmt: skip
    return grounded
