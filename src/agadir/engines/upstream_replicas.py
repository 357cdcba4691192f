"""Replicas of one upstream model: least-outstanding-requests balancing, health and retries.

Each replica keeps its own pooled client. A request goes to the replica with the fewest
requests in flight among those in rotation (ties: the one used least recently, so light load
still spreads). A replica leaves rotation after `eject_after` consecutive failures (passive) or a
failed health probe (active), and comes back when a probe succeeds — or, with probes off, after a
cool-down, on trial. `run()` retries a failure that happened before the upstream produced anything
(`is_retryable`) on another replica, within `retry_deadline_s`; the caller decides what counts as
"before anything": for a stream, until the response headers arrive.

All state is touched from the event loop only (no locks needed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx2
import openai

from agadir.config import UpstreamSettings
from agadir.egress import EgressPolicy
from agadir.engines.upstream_aiohttp import AiohttpPoster
from agadir.engines.upstream_client import (
    agadir_error,
    counts_against_replica,
    is_retryable,
    make_client,
)
from agadir.engines.upstream_json import JsonPoster, Poster

log = logging.getLogger("agadir.upstream")
T = TypeVar("T")
_PROBE_TIMEOUT_S = 2.0
_COOLDOWN_S = 5.0  # with probes off: how long an ejected replica rests before a trial request


@dataclass(eq=False)
class Replica:
    """One server of an upstream, with the counters `/metrics` reports."""

    url: str
    client: openai.AsyncOpenAI
    http: httpx2.AsyncClient
    json: Poster
    outstanding: int = 0
    consecutive_failures: int = 0
    in_rotation: bool = True
    ejected_at: float = 0.0
    last_pick: int = 0
    requests: int = 0
    failures: int = 0
    retries: int = 0
    ejections: int = 0
    latency_sum_s: float = field(default=0.0)


class ReplicaSet:
    def __init__(self, config: UpstreamSettings, policy: EgressPolicy) -> None:
        self.config = config
        self.replicas = [
            Replica(url, *make_client(config, url, policy), _poster(config, url, policy))
            for url in config.urls
        ]
        self._picks = 0
        self._health: asyncio.Task[None] | None = None

    # -- choosing -------------------------------------------------------------------------------
    def pick(self, exclude: set[Replica] | frozenset[Replica] = frozenset()) -> Replica | None:
        """The in-rotation replica with the fewest requests in flight, None when none is left."""
        now = time.monotonic()
        best: Replica | None = None
        for replica in self.replicas:
            if replica in exclude:
                continue
            if not replica.in_rotation and not self._trial_due(replica, now):
                continue
            if best is None or (replica.outstanding, replica.last_pick) < (
                best.outstanding,
                best.last_pick,
            ):
                best = replica
        if best is not None:
            self._picks += 1
            best.last_pick = self._picks
        return best

    def _trial_due(self, replica: Replica, now: float) -> bool:
        return self.config.health_interval_s == 0 and now - replica.ejected_at >= _COOLDOWN_S

    # -- outcomes -------------------------------------------------------------------------------
    def succeeded(self, replica: Replica) -> None:
        replica.consecutive_failures = 0
        if not replica.in_rotation:
            self._readmit(replica)

    def failed(self, replica: Replica) -> None:
        replica.failures += 1
        replica.consecutive_failures += 1
        if replica.in_rotation and replica.consecutive_failures >= self.config.eject_after:
            replica.in_rotation = False
            replica.ejected_at = time.monotonic()
            replica.ejections += 1
            log.warning("upstream %s: replica %s ejected", self.config.name, replica.url)
        elif not replica.in_rotation:
            replica.ejected_at = time.monotonic()  # a failed trial: rest again

    def _readmit(self, replica: Replica) -> None:
        replica.in_rotation = True
        replica.consecutive_failures = 0
        log.warning("upstream %s: replica %s back in rotation", self.config.name, replica.url)

    # -- calling --------------------------------------------------------------------------------
    async def run(self, call: Callable[[Replica], Awaitable[T]]) -> tuple[Replica, T]:
        """`call` on the best replica; retried elsewhere on a retryable failure until the deadline.

        The replica's `outstanding` count stays raised on success: the caller releases it with
        `release()` when it is done with the response (a stream holds its replica to the end).
        """
        deadline = time.monotonic() + self.config.retry_deadline_s
        tried: set[Replica] = set()
        while True:
            replica = self.pick(tried) or self.pick()
            if replica is None:  # everything ejected and resting: try the first anyway
                replica = self.replicas[0]
            replica.outstanding += 1
            replica.requests += 1
            try:
                return replica, await call(replica)
            except BaseException as exc:
                replica.outstanding -= 1
                if isinstance(exc, asyncio.CancelledError):
                    raise
                if counts_against_replica(exc):
                    self.failed(replica)
                tried.add(replica)
                others = len(tried) < len(self.replicas)
                if is_retryable(exc) and others and time.monotonic() < deadline:
                    replica.retries += 1
                    continue
                raise agadir_error(exc, self.config.name, replica.url) from exc

    def release(self, replica: Replica, *, ok: bool | None, seconds: float) -> None:
        """The end of a request that `run` started: counters, and the replica's health when the
        outcome says something about it (`ok=None`: the client went away)."""
        replica.outstanding -= 1
        replica.latency_sum_s += seconds
        if ok is True:
            self.succeeded(replica)
        elif ok is False:
            self.failed(replica)

    # -- active health checks -------------------------------------------------------------------
    def start_health_checks(self) -> None:
        """Probe every replica periodically (call from the event loop; idempotent)."""
        if self._health is None and self.config.health_interval_s > 0:
            self._health = asyncio.get_running_loop().create_task(self._probe_forever())

    async def _probe_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.health_interval_s)
            await asyncio.gather(*(self.probe(r) for r in self.replicas))

    async def probe(self, replica: Replica) -> dict[str, object] | None:
        """GET /models on one replica; updates its rotation; returns the body when healthy."""
        try:
            response = await replica.http.get(
                f"{replica.url}/models", headers=self.auth(), timeout=_PROBE_TIMEOUT_S
            )
            healthy = response.status_code == 200
            body = response.json() if healthy else None
        except (httpx2.HTTPError, ValueError):
            healthy, body = False, None
        if healthy and not replica.in_rotation:
            self._readmit(replica)
        elif not healthy and replica.in_rotation:
            replica.in_rotation = False
            replica.ejected_at = time.monotonic()
            replica.ejections += 1
            log.warning("upstream %s: replica %s failed its probe", self.config.name, replica.url)
        return body if isinstance(body, dict) else None

    def auth(self) -> dict[str, str]:
        key = self.config.api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def aclose(self) -> None:
        if self._health is not None:
            self._health.cancel()
            self._health = None
        for replica in self.replicas:
            await replica.client.close()  # closes its HTTP client and pool too
            await replica.json.aclose()


def _poster(config: UpstreamSettings, url: str, policy: EgressPolicy) -> Poster:
    """Agadir's own HTTP/1.1 client, or aiohttp's where the configuration asks for it."""
    poster = AiohttpPoster if config.http_client == "aiohttp" else JsonPoster
    return poster(
        url,
        policy,
        api_key=config.api_key,
        max_connections=config.max_connections,
        timeout_s=config.timeout_s,
    )
