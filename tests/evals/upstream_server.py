"""A second OpenAI-compatible server process for eval tests: behaves like a small upstream
(llama-server, vLLM) and misbehaves on demand, so retries and resumption are tested over
real HTTP with real timing.

Chat completions echo the last user message. ``/v1/completions`` with ``echo`` returns one
token per whitespace word, each with logprob ``-len(word)``, and text offsets.

Environment switches:
- ``UP_LOG``: append one JSON line per answered request (what was asked);
- ``UP_FAIL_FIRST=N`` / ``UP_FAIL_STATUS``: the first N requests get that status (default 429)
  with ``Retry-After: UP_RETRY_AFTER`` (default 1);
- ``UP_HANG_AFTER=K``: after K answered generation requests, never answer again;
- ``UP_NO_ECHO=1``: ``/v1/completions`` refuses ``echo`` with a 400, as chat-only servers do;
- ``UP_TOKENIZE=1``: a ``/v1/tokenize`` (one id per word) and token-id prompts;
  ``UP_TOKENIZE=root``: the same at ``/tokenize`` only, where vLLM serves it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

app = FastAPI()
STATE = {"seen": 0, "answered": 0}
_WORDS = re.compile(r"\S+\s*")
VOCAB: dict[str, int] = {}


def _log(kind: str, content: str) -> None:
    path = os.environ.get("UP_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"kind": kind, "content": content, "t": time.time()}) + "\n")


async def _gate() -> JSONResponse | None:
    STATE["seen"] += 1
    if STATE["seen"] <= int(os.environ.get("UP_FAIL_FIRST", "0")):
        return JSONResponse(
            {"error": {"message": "slow down", "type": "rate_limit", "code": None, "param": None}},
            status_code=int(os.environ.get("UP_FAIL_STATUS", "429")),
            headers={"Retry-After": os.environ.get("UP_RETRY_AFTER", "1")},
        )
    hang = os.environ.get("UP_HANG_AFTER")
    if hang is not None and STATE["answered"] >= int(hang):
        await asyncio.Event().wait()
    STATE["answered"] += 1
    return None


@app.get("/v1/models")
async def models() -> dict[str, object]:
    return {"object": "list", "data": [{"id": "up-model", "object": "model"}]}


def _sse(chunks: list[dict[str, object]]) -> StreamingResponse:
    """What an upstream streams (Agadir's upstream engine always asks for a stream)."""
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return StreamingResponse(iter([body.encode()]), media_type="text/event-stream")


@app.post("/v1/chat/completions")
async def chat(request: Request) -> Response:
    body = await request.json()
    refused = await _gate()
    if refused is not None:
        return refused
    content = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
    _log("chat", content)
    if body.get("stream"):
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        return _sse(
            [
                {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage},
            ]
        )
    return JSONResponse(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


@app.post("/v1/tokenize")
@app.post("/tokenize")
async def tokenize(request: Request) -> JSONResponse:
    # UP_TOKENIZE=root serves it only at the root, as vLLM does; any other value under /v1
    where = os.environ.get("UP_TOKENIZE")
    if not where or (where == "root") != (request.url.path == "/tokenize"):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    words = _WORDS.findall((await request.json())["prompt"])
    ids = [VOCAB.setdefault(w, len(VOCAB)) for w in words]
    return JSONResponse({"count": len(ids), "max_model_len": 4096, "tokens": ids})


@app.post("/v1/completions")
async def completions(request: Request) -> JSONResponse:
    body = await request.json()
    if body.get("echo") and os.environ.get("UP_NO_ECHO"):
        return JSONResponse(
            {
                "error": {
                    "message": "echo is not supported",
                    "type": "invalid_request_error",
                    "code": None,
                    "param": "echo",
                }
            },
            status_code=400,
        )
    refused = await _gate()
    if refused is not None:
        return refused
    prompt = body["prompt"]
    if isinstance(prompt, list):  # token ids from /v1/tokenize
        words_of = {i: w for w, i in VOCAB.items()}
        prompt = "".join(words_of[i] for i in prompt)
        _log("completion_ids", prompt)
    else:
        _log("completion", prompt)
    words = _WORDS.findall(prompt)
    offsets, position = [], 0
    for word in words:
        offsets.append(position)
        position += len(word)
    logprobs = [None] + [-float(len(w.strip())) for w in words[1:]]
    return JSONResponse(
        {
            "id": "x",
            "object": "text_completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "text": prompt,
                    "finish_reason": "length",
                    "logprobs": {
                        "tokens": words,
                        "token_logprobs": logprobs,
                        "top_logprobs": None,
                        "text_offset": offsets,
                    },
                }
            ],
            "usage": {
                "prompt_tokens": len(words),
                "completion_tokens": 0,
                "total_tokens": len(words),
            },
        }
    )


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
