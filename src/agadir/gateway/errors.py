"""One place that turns every failure into OpenAI's error shape with the right status.

`{"error": {"message", "type", "param", "code"}}`: OpenAI SDKs parse it and raise the matching
exception class (BadRequestError, NotFoundError, ...). Messages say what to fix.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from agadir.errors import AgadirError
from agadir.gateway.responses import JSONResponse

log = logging.getLogger("agadir.gateway")

_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def error_body(
    message: str, error_type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


async def send_error(send: Any, status: int, body: dict[str, Any]) -> None:
    """Answer from pure-ASGI middleware (outside FastAPI's handlers) in OpenAI's error shape."""
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _param(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc if p != "body"]
    # pydantic adds the union member's type name to locations; keep the field path only
    parts = [p for p in parts if not p.startswith(("str", "list[", "function-"))]
    return ".".join(parts) or None


def _note(request: Request, error_type: str) -> None:
    """Tell the audit record what went wrong (the context exists on audited routes)."""
    ctx = request.scope.get("state", {}).get("agadir_ctx")
    if ctx is not None:
        ctx.error_type = error_type


async def _agadir_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AgadirError)
    _note(request, exc.code or exc.error_type)
    headers = getattr(exc, "headers", None)
    return JSONResponse(exc.to_openai(), status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    _note(request, "invalid_request")
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = errors[0].get("ctx", {}).get("error", "invalid JSON")
        return JSONResponse(
            error_body(
                f"The request body is not valid JSON ({detail}). Send a JSON object "
                "with Content-Type: application/json.",
                "invalid_request_error",
                code="invalid_json",
            ),
            status_code=400,
        )
    first = errors[0] if errors else {}
    param = _param(first.get("loc", ()))
    problems = "; ".join(
        f"{_param(e.get('loc', ())) or 'body'}: {e.get('msg', 'invalid')}" for e in errors[:5]
    )
    return JSONResponse(
        error_body(
            f"Invalid request: {problems}.", "invalid_request_error", param, code="invalid_value"
        ),
        status_code=422,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    _note(request, _STATUS_TYPES.get(exc.status_code, "server_error"))
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"{message}. See /docs for the available endpoints."
    return JSONResponse(
        error_body(message, _STATUS_TYPES.get(exc.status_code, "server_error")),
        status_code=exc.status_code,
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(
        error_body("Internal error in Agadir; the server log has the details.", "server_error"),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AgadirError, _agadir_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
