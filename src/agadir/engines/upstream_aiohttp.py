"""The same calls as `upstream_json.JsonPoster` over a pooled aiohttp session
(`upstreams[].http_client = "aiohttp"`).

Why keep it: aiohttp is a dependency anyway (under the `openai` client, which does the health
probes and `/tokenize`), so this fallback is a few lines over the same egress target, answer
checks and SSE reader; aiohttp has met many more odd servers than Agadir's small client (which
does not speak HTTP/2, proxies or `Expect: 100-continue`). It costs more CPU per request.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
from yarl import URL

from agadir.egress import EgressPolicy
from agadir.engines.upstream_errors import UpstreamStatusError, error_message
from agadir.engines.upstream_json import CONNECT_TIMEOUT_S, Target, answer_of
from agadir.engines.upstream_sse import MAX_LINE_BYTES, EventStream


class AiohttpPoster:
    def __init__(
        self,
        base_url: str,
        policy: EgressPolicy,
        *,
        api_key: str | None,
        max_connections: int,
        timeout_s: float,
    ) -> None:
        self.base_url = base_url
        self.policy = policy
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.max_connections = max_connections
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=CONNECT_TIMEOUT_S)
        # a stream may run for minutes: bound the wait for each read, not the whole
        self.stream_timeout = aiohttp.ClientTimeout(
            sock_read=timeout_s, sock_connect=CONNECT_TIMEOUT_S
        )
        self.stream_headers = {**self.headers, "Accept": "text/event-stream"}
        self._session: aiohttp.ClientSession | None = None
        self._target: Target | None = None

    def _url(self, path: str) -> str:
        if self._target is None:
            self._target = Target.checked(self.base_url, self.policy)
            if self._target.host != self._target.name:  # pinned: keep the name for the server
                self.headers["Host"] = self.stream_headers["Host"] = self._target.authority
        return f"{self._target.url}{path}"

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.max_connections, limit_per_host=self.max_connections, keepalive_timeout=30
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            trust_env=False,
            read_bufsize=MAX_LINE_BYTES,
        )
        return self._session

    async def stream(self, path: str, body: dict[str, Any]) -> EventStream:
        url = self._url(path)
        session = self._session or self._open()
        response = await session.post(
            URL(url, encoded=True),
            data=orjson.dumps(body),
            headers=self.stream_headers,
            allow_redirects=False,
            timeout=self.stream_timeout,
        )
        if response.status >= 400:
            async with response:
                raise UpstreamStatusError(response.status, error_message(await response.read()))
        return EventStream(response.content.iter_any(), lambda ended: response.release())

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self._url(path)
        session = self._session or self._open()
        async with session.post(
            URL(url, encoded=True),
            data=orjson.dumps(body),
            headers=self.headers,
            allow_redirects=False,
        ) as response:
            raw = await response.read()
            status = response.status
        return answer_of(status, raw)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
