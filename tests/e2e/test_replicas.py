"""Replicas: two real gateway processes on one PostgreSQL share quota counters and one audit
chain; one gateway in front of several upstream replicas survives losing one under load."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from agadir.governance import KeyService, Limits, TenantService
from agadir.store import open_store
from tests.pg import url_or_skip
from tests.servers import RunningServer, audit_verify, start_server, stop_server
from tests.upstreams import InstantUpstream, start_upstream

pytestmark = pytest.mark.e2e


def test_two_replicas_share_one_rate_limit(tmp_path: Path) -> None:
    """Ten requests' worth of tokens per day, shared: a day-long bucket refills one token in
    over an hour, so the count does not depend on how fast the machine serves the 24 requests
    (a per-minute limit refilled during a slow run and let 12 through). Each request takes
    exactly 2 tokens (the one-word prompt, one generated word), reserving an estimate of 1."""
    url = url_or_skip("postgresql", tmp_path)
    store = open_store(url)
    TenantService(store).create("coop", pii_mode="off", limits=Limits(tpd=20))
    key = KeyService(store).create("coop", "chat,models:echo").plaintext
    store.close()

    home = tmp_path / "home"  # one AGADIR_HOME: the replicas share the audit signing key
    env = {"AGADIR_DATABASE_URL": url}
    replicas = [start_server(home, "--enable-echo", env=env) for _ in range(2)]
    try:
        statuses = []
        for i in range(24):
            replica = replicas[i % 2]
            r = httpx.post(
                f"{replica.base_url}/v1/chat/completions",
                json={
                    "model": "echo",
                    "messages": [{"role": "user", "content": "x"}],
                    "max_tokens": 1,
                },
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            )
            statuses.append(r.status_code)
    finally:
        for replica in replicas:
            stop_server(replica)
    assert statuses.count(200) == 10, statuses
    assert statuses.count(429) == 14
    assert {statuses[i] for i in range(0, 20, 2)} & {200} and {
        statuses[i] for i in range(1, 20, 2)
    } & {200}

    verify = audit_verify(home, url)
    assert verify.returncode == 0, verify.stdout + verify.stderr


# -- replicas of one upstream model behind one gateway --------------------------------------------
def _pool_server(home: Path, upstreams: list[InstantUpstream], **options: object) -> RunningServer:
    entry = {"name": "pool", "model": "instant", "base_urls": [u.url for u in upstreams], **options}
    env = {"AGADIR_UPSTREAMS": json.dumps([entry]), "AGADIR_KNOWLEDGE__PACKS": "[]"}
    try:
        return start_server(home, env=env)
    except BaseException:  # leave no upstream process behind
        for upstream in upstreams:
            upstream.stop()
        raise


def test_killing_an_upstream_replica_under_load_loses_only_its_in_flight_requests(
    tmp_path: Path,
) -> None:
    replicas = [start_upstream(f"r{i}") for i in range(3)]
    server = _pool_server(tmp_path / "home", replicas, eject_after=2, health_interval_s=0.5)
    clients = 8
    outcomes: list[tuple[bool, bool]] = []  # (succeeded, after the kill)
    killed = threading.Event()

    async def load(stop: threading.Event) -> None:
        body = {"model": "pool", "messages": [{"role": "user", "content": "hi"}]}
        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(headers=server.headers, timeout=30, limits=limits) as http:

            async def client() -> None:
                while not stop.is_set():
                    try:
                        r = await http.post(f"{server.base_url}/v1/chat/completions", json=body)
                        ok = r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
                    except httpx.HTTPError:
                        ok = False
                    outcomes.append((bool(ok), killed.is_set()))

            await asyncio.gather(*(client() for _ in range(clients)))

    stop = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(load(stop)))
    thread.start()
    try:
        wait_until(lambda: replicas[0].served() >= 50)
        replicas[0].kill()
        killed.set()
        wait_until(lambda: sum(1 for ok, after in outcomes if ok and after) >= 300)
    finally:
        stop.set()
        thread.join(timeout=60)
        metrics = httpx.get(f"{server.base_url}/metrics", timeout=10).text
        stop_server(server)
        for replica in replicas:
            replica.stop()
    failed = [after for ok, after in outcomes if not ok]
    assert len(failed) <= clients, f"{len(failed)} requests lost, more than were in flight"
    assert all(failed), "a request failed before the kill"
    dead = replicas[0].url
    assert f'agadir_upstream_replica_up{{model="pool",replica="{dead}"}} 0.0' in metrics
    for live in replicas[1:]:
        assert f'agadir_upstream_replica_up{{model="pool",replica="{live.url}"}} 1.0' in metrics


def test_a_stream_is_never_retried_after_its_first_byte(tmp_path: Path) -> None:
    replicas = [
        start_upstream(f"s{i}", "--tokens", "200", "--token-delay-ms", "20") for i in range(2)
    ]
    server = _pool_server(tmp_path / "home", replicas, health_interval_s=0)
    body = {
        "model": "pool",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 200,
        "stream": True,
    }
    lines: list[str] = []
    try:
        with httpx.stream(
            "POST",
            f"{server.base_url}/v1/chat/completions",
            json=body,
            headers=server.headers,
            timeout=30,
        ) as response:
            assert response.status_code == 200
            try:
                for line in response.iter_lines():
                    lines.append(line)
                    if len(lines) == 6:  # a few tokens in: kill the replica serving this stream
                        serving = next(r for r in replicas if r.served() == 1)
                        other = next(r for r in replicas if r is not serving)
                        serving.kill()
            except httpx.HTTPError:
                pass  # the stream broke off: the expected outcome
        assert "data: [DONE]" not in lines
        assert other.served() == 0, "the stream was sent again to another replica"
    finally:
        stop_server(server)
        for replica in replicas:
            replica.stop()


def wait_until(condition: Callable[[], bool], timeout: float = 120) -> None:
    """Poll an outcome that only grows (a count), bounded so a broken run fails, not hangs."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)
