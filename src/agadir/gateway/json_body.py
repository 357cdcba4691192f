"""One rule for every JSON request body, applied where the request enters: valid UTF-8 text
without lone surrogates, and bounded nesting.

Every JSON body of every route passes `JSONBodyMiddleware` before any router sees it, so the
rule holds for every string field of every request, length-limited or not, content parts
included (`problem_with`):
- invalid UTF-8 bytes and lone surrogates (also written as `\\ud800` escapes) are refused: no
  string the gateway handles can fail to encode later (in the audit log, a tokenizer, a
  response), and the client learns what to fix;
- nesting deeper than `MAX_DEPTH` levels is refused instead of exhausting a stack;
- anything else orjson cannot parse is refused the same way.
Each refusal is a 400 with `code: "invalid_json"` in OpenAI's shape, audited like any request.

Does not validate the shape of a body (the routes' pydantic models do) and leaves non-JSON
bodies (multipart uploads) alone. Why a middleware and not a custom `Request` per route: the
rule then cannot depend on how each router is declared, nor on FastAPI's routing internals.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agadir.gateway.errors import error_body, send_error

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


MAX_DEPTH = 256  # far beyond any OpenAI-shaped body; well inside Python's own json recursion
QUICK_BYTES = 256 * 1024
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def problem_with(body: bytes) -> str | None:
    """What makes `body` unacceptable as JSON, in words for the client; None when it is fine.

    A big body that cannot nest deeper than `MAX_DEPTH` (it has fewer brackets) and has no
    surrogate escape only needs its UTF-8 checked: one C pass instead of a full parse on the
    event loop (the routes parse it anyway). Anything else is parsed here."""
    brackets = body.count(b"[") + body.count(b"{")
    if len(body) > QUICK_BYTES and brackets <= MAX_DEPTH and not _SURROGATE_ESCAPE.search(body):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _explain(f"invalid UTF-8 ({exc.reason})", exc.start)
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _explain(exc.msg, exc.pos)
    if brackets > MAX_DEPTH and _deeper_than(parsed, MAX_DEPTH):
        return _explain("depth limit exceeded", 0)
    return None


def _deeper_than(value: Any, limit: int) -> bool:
    """True when arrays and objects nest more than `limit` levels in `value`."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _explain(message: str, pos: int) -> str:
    lowered = message.lower()
    if "surrogate" in lowered or "utf-8" in lowered:
        what = (
            f"invalid Unicode text at byte {pos} ({message}); send UTF-8 text without lone "
            "surrogates such as \\ud800"
        )
    elif "depth" in lowered or "recursion" in lowered:
        what = f"nested too deep; send at most {MAX_DEPTH} levels of arrays and objects"
    else:
        what = f"{message} at byte {pos}"
    return (
        f"The request body is not valid JSON: {what}. Send a JSON object with "
        "Content-Type: application/json."
    )


def _is_json(scope: Scope) -> bool:
    """As FastAPI decides: no content type, `application/json` or `application/*+json`."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or (
                kind.startswith(b"application/") and kind.endswith(b"+json")
            )
    return True


class JSONBodyMiddleware:
    """Read a JSON body whole (under `BodyLimitMiddleware`'s limit), check it, and hand it to
    the app in one message; refuse it with a 400 when `problem_with` finds something."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: nothing to answer
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = problem_with(body) if body else None
        if problem is not None:
            ctx = scope.get("state", {}).get("agadir_ctx")
            if ctx is not None:
                ctx.error_type = "invalid_json"
            await send_error(
                send, 400, error_body(problem, "invalid_request_error", code="invalid_json")
            )
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # after the body: disconnects, as usual
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
