"""Translation between Agadir's engine types and OpenAI's wire objects, for the upstream engine.

Pure functions: request bodies from `SamplingParams`, and `Delta`s / `Generation`s from the
answers, as the `openai` client's low-level `post()` returns them (plain JSON: the SDK's typed
request transform and response models cost more than the gateway itself; docs/benchmarks.md).
Every field a user sent reaches the upstream: the ones Agadir understands are mapped, the rest
are passed on verbatim.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from agadir.engines.base import (
    ChatMessage,
    Delta,
    FinishReason,
    Generation,
    SamplingParams,
    TokenLogprob,
)

# Where OpenAI-compatible servers report a model's context length in `GET /v1/models`, in the
# order tried: vLLM, Agadir, LM Studio / others, llama-server (`meta.n_ctx_train`).
_CONTEXT_KEYS = ("max_model_len", "context_length", "max_context_length", "context_window")


def sampling_body(model: str, params: SamplingParams) -> dict[str, Any]:
    """The JSON body fields shared by chat and completions.

    `params.extra` (the fields Agadir does not interpret) goes in first, so that the fields Agadir
    did interpret and checked win over a stray duplicate.
    """
    body: dict[str, Any] = dict(params.extra)
    body["model"] = model
    body["max_tokens"] = params.max_tokens
    body["temperature"] = params.temperature
    body["top_p"] = params.top_p
    if params.stop:
        body["stop"] = list(params.stop)
    if params.seed is not None:
        body["seed"] = params.seed
    if params.presence_penalty:
        body["presence_penalty"] = params.presence_penalty
    if params.frequency_penalty:
        body["frequency_penalty"] = params.frequency_penalty
    if params.json_mode:
        body["response_format"] = {"type": "json_object"}
    return body


def chat_body(
    model: str, messages: Sequence[ChatMessage], params: SamplingParams
) -> dict[str, Any]:
    body = sampling_body(model, params)
    body["messages"] = [{"role": m.role, "content": m.content} for m in messages]
    if params.logprobs:
        body["logprobs"] = True
        body["top_logprobs"] = params.top_logprobs
    return body


def completion_body(
    model: str, prompt: str, params: SamplingParams, *, echo: bool
) -> dict[str, Any]:
    body = sampling_body(model, params)
    body["prompt"] = prompt
    if echo:
        body["echo"] = True
    if params.logprobs:
        body["logprobs"] = max(params.top_logprobs, 1)
    return body


def finish_reason(raw: str | None) -> FinishReason:
    """OpenAI's finish reasons folded onto Agadir's two (tool calls, filters: the text stopped)."""
    return "length" if raw == "length" else "stop"


def chat_logprobs(raw: Any) -> list[TokenLogprob]:
    """`choice.logprobs` of a chat answer or chunk: `content: [{token, logprob, top_logprobs}]`."""
    content = raw.get("content") if isinstance(raw, dict) else None
    if not content:
        return []
    return [
        TokenLogprob(
            item["token"],
            item.get("logprob"),
            tuple((top["token"], top["logprob"]) for top in item.get("top_logprobs") or ()),
        )
        for item in content
    ]


def completion_logprobs(raw: Any) -> list[TokenLogprob]:
    """`choice.logprobs` of a completions answer (parallel lists: tokens, logprobs, tops)."""
    tokens = raw.get("tokens") if isinstance(raw, dict) else None
    if not tokens:
        return []
    logprobs: Iterable[float | None] = raw.get("token_logprobs") or [None] * len(tokens)
    tops = raw.get("top_logprobs") or [None] * len(tokens)
    return [
        TokenLogprob(token, logprob, tuple((top or {}).items()))
        for token, logprob, top in zip(tokens, logprobs, tops, strict=False)
    ]


def chunk_deltas(chunk: dict[str, Any], *, chat: bool) -> tuple[list[Delta], str | None]:
    """The text deltas in one streamed chunk, and its finish reason if it carries one."""
    deltas: list[Delta] = []
    finish: str | None = None
    for choice in chunk.get("choices") or ():
        if chat:
            text = (choice.get("delta") or {}).get("content")
            logprobs = chat_logprobs(choice.get("logprobs"))
        else:
            text = choice.get("text")
            logprobs = completion_logprobs(choice.get("logprobs"))
        if text or logprobs:
            deltas.append(Delta(text=text or "", logprobs=logprobs))
        finish = choice.get("finish_reason") or finish
    return deltas, finish


def generation_of(response: dict[str, Any], *, chat: bool) -> Generation:
    """A whole (non-streamed) chat completion or completion as a `Generation`."""
    choices = response.get("choices") or [{}]
    choice = choices[0]
    usage = response.get("usage") or {}
    if chat:
        text = (choice.get("message") or {}).get("content") or ""
        logprobs = chat_logprobs(choice.get("logprobs"))
    else:
        text = choice.get("text") or ""
        logprobs = completion_logprobs(choice.get("logprobs"))
    return Generation(
        text,
        finish_reason(choice.get("finish_reason")),
        usage.get("prompt_tokens") or 0,
        usage.get("completion_tokens") or 0,
        logprobs,
    )


def context_length_of(card: dict[str, Any]) -> int | None:
    """The context length a `/v1/models` card reports, under any of the names servers use."""
    for key in _CONTEXT_KEYS:
        value = card.get(key)
        if isinstance(value, int) and value > 0:
            return value
    meta = card.get("meta")
    if isinstance(meta, dict):
        for key in ("n_ctx", "n_ctx_train"):
            value = meta.get(key)
            if isinstance(value, int) and value > 0:
                return value
    return None
