"""How each request kind asks the endpoint about one sample, and what it keeps of the answer.

- ``chat``: one chat completion; keeps the text.
- ``mcq``: ``loglik`` scores every choice as a continuation of the prompt through
  ``/v1/completions`` with ``echo`` and ``logprobs`` (the tokens whose text offset falls inside
  the continuation are summed, so it works on any server that returns ``text_offset``);
  ``letter`` asks for the letter of the right choice in a chat completion.
- ``grounded``: the knowledge base's search (for recall@k) and a grounded chat completion
  (for its citations).

A 4xx answer is kept as the output (``refused``): it is the endpoint's verdict, e.g. a PII
policy that blocks, and scoring treats it as an empty answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agadir.evals.client import EndpointClient, RequestRefused
from agadir.evals.scorers.mcq import LETTERS
from agadir.evals.task import Task


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


async def _continuation_logprob(
    client: EndpointClient, model: str, context: str, continuation: str
) -> float:
    body = {
        "model": model,
        "prompt": context + continuation,
        "max_tokens": 1,
        "echo": True,
        "logprobs": 0,
        "temperature": 0.0,
    }
    try:
        answer = await client.request("POST", "completions", body)
    except RequestRefused as exc:
        raise LoglikUnsupported(exc.message) from exc
    logprobs = (answer.get("choices") or [{}])[0].get("logprobs") or {}
    offsets, values = logprobs.get("text_offset"), logprobs.get("token_logprobs")
    if not offsets or not values:
        raise LoglikUnsupported("no prompt logprobs with text offsets in the answer")
    start, end = len(context), len(context) + len(continuation)
    picked = [v for o, v in zip(offsets, values, strict=False) if start <= o < end]
    if not picked or any(v is None for v in picked):
        raise LoglikUnsupported("the echoed prompt carries no logprob for the continuation")
    return float(sum(picked))


async def ask_mcq_loglik(
    client: EndpointClient, model: str, task: Task, sample: dict[str, Any]
) -> dict[str, Any]:
    context = task.render(sample)
    continuations = [" " + str(c) for c in sample["choices"]]
    logprobs = await asyncio.gather(
        *(_continuation_logprob(client, model, context, c) for c in continuations)
    )
    return {
        "mode": "loglik",
        "logprobs": list(logprobs),
        "lengths": [len(c) for c in continuations],
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
