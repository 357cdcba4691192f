"""The HTTP side of a run: one OpenAI-compatible endpoint, retries that respect the server.

429 and 502/503/504 answers and dropped connections are retried with exponential backoff
(capped, with jitter); a ``Retry-After`` header (seconds or HTTP date) is honoured as the
least wait. Other 4xx answers are not retried: they are the endpoint's verdict on the request
(`RequestRefused`), which some tasks score (a PII block) or act on (MCQ mode fallback).
The key is read from the environment by the caller and only ever sent as a header.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from agadir.evals.errors import EndpointError

RETRY_STATUS = frozenset({429, 502, 503, 504})
Sleep = Callable[[float], Awaitable[None]]


class RequestRefused(Exception):
    """The endpoint answered 4xx: not worth retrying."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", body))
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:300]
    return str(body)[:300]


class EndpointClient:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.retries = 0
        # where this endpoint tokenizes: unknown (None) until first asked; then the route that
        # answered (Agadir serves /v1/tokenize, vLLM /tokenize at its root), or "" for none
        self.tokenize_route: str | None = None

    async def aclose(self) -> None:
        await self.http.aclose()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        base = min(self.max_backoff, self.backoff * 2**attempt) * (0.5 + random.random() / 2)
        hinted = retry_after(response) if response is not None else None
        return max(base, hinted) if hinted is not None else base

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        for attempt in range(self.max_retries + 1):
            response: httpx.Response | None = None
            try:
                response = await self.http.request(method, path, json=body)
            except httpx.TransportError as exc:
                if attempt == self.max_retries:
                    raise EndpointError(
                        f"{self.base_url}/{path}: {type(exc).__name__} after "
                        f"{attempt + 1} attempt(s): {exc or 'no answer'}."
                    ) from exc
            else:
                if response.status_code < 400:
                    return response.json()
                if response.status_code not in RETRY_STATUS:
                    raise RequestRefused(response.status_code, _message(response))
                if attempt == self.max_retries:
                    raise EndpointError(
                        f"{self.base_url}/{path}: HTTP {response.status_code} after "
                        f"{attempt + 1} attempt(s): {_message(response)}"
                    )
            self.retries += 1
            await self.sleep(self._delay(attempt, response))
        raise AssertionError("unreachable")

    async def check(self, model: str) -> None:
        """Fail before any sample: endpoint unreachable, key refused, or model not served."""
        try:
            response = await self.http.get("models")
        except httpx.TransportError as exc:
            raise EndpointError(
                f"Cannot reach {self.base_url} ({type(exc).__name__}: {exc or 'no answer'}). "
                "Is the server running, and is --endpoint its OpenAI base URL (ending in /v1)?"
            ) from exc
        if response.status_code in (401, 403):
            raise EndpointError(
                f"{self.base_url} refused the API key (HTTP {response.status_code}): set it in "
                "the environment variable named by --api-key-env."
            )
        if response.status_code >= 400:
            return  # some servers have no /models: let the first request tell
        try:
            served = {str(m.get("id")) for m in response.json().get("data", [])}
        except (ValueError, AttributeError):
            return
        if served and model not in served:
            raise EndpointError(
                f"{self.base_url} does not serve the model '{model}'; it serves: "
                f"{', '.join(sorted(served))}."
            )
