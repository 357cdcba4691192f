"""How each request kind asks the endpoint about one sample, and what it keeps of the answer.

- ``chat``: one chat completion; keeps the text.
- ``mcq``: ``loglik`` scores every choice as a continuation of the prompt through
  ``/v1/completions`` with ``echo`` and ``logprobs``: as token ids split where the context's
  own tokens end when the endpoint has ``/tokenize`` (lm-eval's convention), else as text, the
  tokens whose text offset falls inside the continuation being summed;
  ``letter`` asks for the letter of the right choice in a chat completion.
- ``grounded``: the knowledge base's search (for recall@k) and a grounded chat completion
  (for its citations).

A 4xx answer is kept as the output (``refused``): it is the endpoint's verdict, e.g. a PII
policy that blocks, and scoring treats it as an empty answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from agadir.evals.client import EndpointClient, RequestRefused
from agadir.evals.scorers.mcq import LETTERS
from agadir.evals.task import Task

# part of the answer cache key: bump it when the loglik scoring convention changes
LOGLIK_CONVENTION = "2: token-id split via /tokenize, else text offsets; acc_norm per choice char"


class LoglikUnsupported(Exception):
    """The endpoint does not return prompt logprobs with ``echo``."""


def decoding(task: Task, temperature: float, seed: int) -> dict[str, Any]:
    return {
        "temperature": temperature,
        "seed": seed,
        "max_tokens": task.spec.max_tokens,
        "stop": task.spec.stop,
    }


def _messages(task: Task, user: str) -> list[dict[str, str]]:
    system = [{"role": "system", "content": task.spec.system}] if task.spec.system else []
    return [*system, {"role": "user", "content": user}]


async def ask_chat(
    client: EndpointClient, model: str, task: Task, sample: dict[str, Any], dec: dict[str, Any]
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": _messages(task, task.render(sample))}
    body.update({k: v for k, v in dec.items() if k != "stop" or v})
    try:
        answer = await client.request("POST", "chat/completions", body)
    except RequestRefused as exc:
        return {"text": "", "refused": exc.status, "error": exc.message}
    return {"text": answer["choices"][0]["message"].get("content") or ""}


def _completion_body(model: str, prompt: str | list[int]) -> dict[str, Any]:
    return {
        "model": model,
        "prompt": prompt,
        "max_tokens": 1,
        "echo": True,
        "logprobs": 0,
        "temperature": 0.0,
    }


async def _echo_logprobs(
    client: EndpointClient, model: str, prompt: str | list[int]
) -> dict[str, Any]:
    try:
        answer = await client.request("POST", "completions", _completion_body(model, prompt))
    except RequestRefused as exc:
        raise LoglikUnsupported(exc.message) from exc
    return dict((answer.get("choices") or [{}])[0].get("logprobs") or {})


async def _text_continuation_logprob(
    client: EndpointClient, model: str, context: str, continuation: str
) -> float:
    """Fallback for endpoints without ``/tokenize``: the server tokenizes the joined text and
    the continuation is the tokens whose ``text_offset`` falls inside it. Only as exact as the
    server's offsets: a token that holds part of a multi-byte character (byte-level BPE on
    Arabic script) can make them drift from the real character positions."""
    logprobs = await _echo_logprobs(client, model, context + continuation)
    offsets, values = logprobs.get("text_offset"), logprobs.get("token_logprobs")
    if not offsets or not values:
        raise LoglikUnsupported("no prompt logprobs with text offsets in the answer")
    start, end = len(context), len(context) + len(continuation)
    picked = [v for o, v in zip(offsets, values, strict=False) if start <= o < end]
    if not picked or any(v is None for v in picked):
        raise LoglikUnsupported("the echoed prompt carries no logprob for the continuation")
    return float(sum(picked))


async def _tokenize(client: EndpointClient, model: str, text: str) -> list[int] | None:
    """The endpoint's own token ids for ``text`` (vLLM's ``/tokenize``, no special tokens, as
    lm-eval's remote tokenizer asks), or None when the endpoint has no such route. The route is
    looked for once per client: under the API base (Agadir), then at the server's root (vLLM)."""
    if client.tokenize_route == "":
        return None
    routes = [client.tokenize_route] if client.tokenize_route else ["tokenize", _root(client)]
    body = {"model": model, "prompt": text, "add_special_tokens": False}
    for route in routes:
        try:
            answer = await client.request("POST", route, body)
        except RequestRefused:
            continue
        tokens = answer.get("tokens") if isinstance(answer, dict) else None
        if isinstance(tokens, list) and all(isinstance(t, int) for t in tokens):
            client.tokenize_route = route
            return tokens
    if client.tokenize_route is None:
        client.tokenize_route = ""
    return None


def _root(client: EndpointClient) -> str:
    """The absolute URL of ``/tokenize`` at the endpoint's server root."""
    return str(httpx.URL(client.base_url).join("/tokenize"))


async def _token_continuation_logprob(
    client: EndpointClient, model: str, context_ids: list[int], whole: str
) -> float | None:
    """lm-eval's convention: tokenize context + continuation together, the continuation is what
    follows the context's own token count, and the ids (not text) are scored, so the boundary
    never depends on text offsets. None when the endpoint cannot tokenize."""
    whole_ids = await _tokenize(client, model, whole)
    if whole_ids is None:
        return None
    n = len(context_ids)
    if len(whole_ids) <= n:
        raise LoglikUnsupported("the continuation adds no token to the context")
    values = (await _echo_logprobs(client, model, whole_ids)).get("token_logprobs") or []
    picked = values[n : len(whole_ids)]
    if len(picked) != len(whole_ids) - n or any(v is None for v in picked):
        raise LoglikUnsupported("the echoed prompt carries no logprob for the continuation")
    return float(sum(picked))


async def ask_mcq_loglik(
    client: EndpointClient, model: str, task: Task, sample: dict[str, Any]
) -> dict[str, Any]:
    """Score each choice as ``" " + choice`` after the prompt, by token ids where the endpoint
    tokenizes (the same split and the same numbers as lm-eval's ``local-completions``), else by
    text offsets. ``lengths`` are the choices' characters, lm-eval's ``acc_norm`` divisor."""
    context = task.render(sample)
    choices = [str(c) for c in sample["choices"]]
    context_ids = await _tokenize(client, model, context)
    if context_ids:
        by_ids = await asyncio.gather(
            *(_token_continuation_logprob(client, model, context_ids, context + " " + c)
              for c in choices)
        )  # fmt: skip
        if all(v is not None for v in by_ids):
            logprobs = [float(v) for v in by_ids if v is not None]
            return {"mode": "loglik", "split": "tokens", "logprobs": logprobs,
                    "lengths": [len(c) for c in choices]}  # fmt: skip
    by_text = await asyncio.gather(
        *(_text_continuation_logprob(client, model, context, " " + c) for c in choices)
    )
    return {
        "mode": "loglik",
        "split": "text",
        "logprobs": list(by_text),
        "lengths": [len(c) for c in choices],
    }


def letter_prompt(task: Task, sample: dict[str, Any]) -> str:
    question = (task.spec.question or task.spec.prompt).format_map(sample)
    options = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(sample["choices"]))
    return f"{question}\n\n{options}\n\nAnswer with the letter of the right choice only."


async def ask_mcq_letter(
    client: EndpointClient, model: str, task: Task, sample: dict[str, Any], dec: dict[str, Any]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": _messages(task, letter_prompt(task, sample)),
        "temperature": dec["temperature"],
        "seed": dec["seed"],
        "max_tokens": 8,
    }
    try:
        answer = await client.request("POST", "chat/completions", body)
    except RequestRefused as exc:
        return {"mode": "letter", "text": "", "refused": exc.status, "error": exc.message}
    return {"mode": "letter", "text": answer["choices"][0]["message"].get("content") or ""}


async def ask_grounded(
    client: EndpointClient,
    model: str,
    task: Task,
    sample: dict[str, Any],
    dec: dict[str, Any],
    k: int = 5,
) -> dict[str, Any]:
    kb = str(sample["kb"])
    question = task.render(sample)
    search = await client.request(
        "POST", f"knowledge/{kb}/search", {"query": question, "top_k": k, "mode": "hybrid"}
    )
    hits = [str(h["document"]) for h in search.get("data", [])]
    body: dict[str, Any] = {
        "model": model,
        "knowledge_base": kb,
        "messages": [{"role": "user", "content": question}],
        **{key: v for key, v in dec.items() if key != "stop" or v},
    }
    answer = await client.request("POST", "chat/completions", body)
    return {
        "text": answer["choices"][0]["message"].get("content") or "",
        "citations": answer.get("citations") or [],
        "hits": hits,
    }
