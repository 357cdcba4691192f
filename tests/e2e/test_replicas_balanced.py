"""Three `agadir serve` replicas on one PostgreSQL behind a round-robin balancer, under load.

What a deployment relies on (docs/deploy.md): a tenant's daily token quota is exact across the
replicas (every admitted token is counted once, nothing is admitted past the limit), the shared
audit chain still verifies after concurrent appends from every replica, and a key revoked
through one replica is refused by all of them within the key cache TTL (1 s) plus a margin.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from agadir.governance import KeyService, Limits, TenantService
from agadir.store import open_store
from tests.balancer import RoundRobinBalancer
from tests.pg import url_or_skip
from tests.servers import RunningServer, audit_verify, start_server, stop_server

pytestmark = pytest.mark.e2e

REPLICAS = 3
CLIENTS = 8
TPD = 900  # the tenant's tokens per day: a few dozen requests' worth
KEY_CACHE_TTL_S = 1.0  # documented in governance/keys.py and docs/deploy.md
REVOCATION_MARGIN_S = 9.0  # generous: a loaded CI machine, not a latency claim


MAX_TOKENS = 8


def _chat(i: int) -> dict[str, object]:
    content = f"count {i}"
    return {
        "model": "echo",
        "messages": [{"role": "user", "content": content}],
        "max_tokens": MAX_TOKENS,
    }


def _estimate(i: int) -> int:
    """What the gateway reserves for `_chat(i)` before answering (governance admission)."""
    return len(f"count {i}") // 3 + MAX_TOKENS


async def _load(base_url: str, keys: list[str], budget: int) -> list[tuple[int, int]]:
    """`CLIENTS` concurrent clients, one connection per request (so the balancer spreads the
    requests, not just the connections), until each has been refused once or `budget` requests
    were sent in all. Returns (status, total tokens used) per request."""
    outcomes: list[tuple[int, int]] = []
    sent = 0
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def client(n: int) -> None:
            nonlocal sent
            key = keys[n % len(keys)]
            while sent < budget:
                sent += 1
                r = await http.post(
                    f"{base_url}/v1/chat/completions",
                    json=_chat(sent),
                    headers={"Authorization": f"Bearer {key}"},
                )
                used = r.json()["usage"]["total_tokens"] if r.status_code == 200 else 0
                outcomes.append((r.status_code, used))
                if r.status_code == 429:
                    return

        await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return outcomes


def _bucket_level(url: str, subject: str) -> float:
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            level = conn.execute(
                text("SELECT level FROM quota_buckets WHERE subject = :s"), {"s": subject}
            ).scalar_one()
    finally:
        store.close()
    return float(level)


def _refused_by_all(replicas: list[RunningServer], key: str, deadline: float) -> None:
    """Poll every replica until it refuses `key` (401); raise naming the first replica that
    still admits it at the deadline."""
    for replica in replicas:
        while True:
            r = httpx.get(
                f"{replica.base_url}/v1/models",
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            )
            if r.status_code == 401:
                assert r.json()["error"]["code"] == "revoked_api_key", r.text
                break
            assert r.status_code == 200, r.text
            if time.monotonic() > deadline:
                raise AssertionError(f"{replica.base_url} still admits the revoked key")
            time.sleep(0.05)


def test_replicas_behind_a_balancer_hold_quota_audit_and_revocation(tmp_path: Path) -> None:
    url = url_or_skip("postgresql", tmp_path)
    store = open_store(url)
    TenantService(store).create("coop", pii_mode="off", limits=Limits(tpd=TPD))
    keys = KeyService(store)
    loaded = [keys.create("coop", "chat,models:echo").plaintext for _ in range(2)]
    victim = keys.create("coop", "models:echo")
    store.close()

    home = tmp_path / "home"  # one AGADIR_HOME: the replicas share the audit key
    env = {"AGADIR_DATABASE_URL": url}
    replicas: list[RunningServer] = []
    try:
        for _ in range(REPLICAS):
            replicas.append(start_server(home, "--enable-echo", env=env))
        backends = [("127.0.0.1", int(r.base_url.rsplit(":", 1)[1])) for r in replicas]
        with RoundRobinBalancer(backends) as balancer:
            started = time.time()
            outcomes = asyncio.run(_load(balancer.base_url, loaded, budget=400))
            # then one at a time until refused: whatever in-flight requests gave back is spent
            for i in range(1000, 1200):
                r = httpx.post(
                    f"{balancer.base_url}/v1/chat/completions",
                    json=_chat(i),
                    headers={"Authorization": f"Bearer {loaded[0]}"},
                    timeout=60,
                )
                used = r.json()["usage"]["total_tokens"] if r.status_code == 200 else 0
                outcomes.append((r.status_code, used))
                if r.status_code == 429:
                    break
            elapsed = time.time() - started
            spread = dict(balancer.connections)

        level = _bucket_level(url, "tenant:coop:tpd")
        admitted = [used for status, used in outcomes if status == 200]
        statuses = {status for status, _ in outcomes}
        assert statuses <= {200, 429}, outcomes
        assert outcomes[-1][0] == 429, "the quota was never reached"
        assert len(spread) == REPLICAS and min(spread.values()) >= len(outcomes) // 6, spread
        refill = TPD / 86400 * (elapsed + 5)  # the day bucket refills continuously: a bound
        # exact across replicas: the shared counter is down by exactly what was served
        assert sum(admitted) - refill <= TPD - level <= sum(admitted) + 1e-6, (level, admitted)
        assert sum(admitted) <= TPD + refill, "tokens admitted beyond the daily quota"
        # and not under-admitting: the last refusal was for want of the reservation it needed
        assert level < _estimate(i), "the quota stopped admitting before it was spent"

        # revocation: every replica knows the key first (its cache holds it), then one revokes
        for replica in replicas:
            ok = httpx.get(
                f"{replica.base_url}/v1/models",
                headers={"Authorization": f"Bearer {victim.plaintext}"},
                timeout=10,
            )
            assert ok.status_code == 200, ok.text
        revoked = httpx.post(
            f"{replicas[0].base_url}/admin/keys/{victim.info.id}/revoke",
            headers=replicas[0].headers,
            timeout=10,
        )
        assert revoked.status_code == 200, revoked.text
        deadline = time.monotonic() + KEY_CACHE_TTL_S + REVOCATION_MARGIN_S
        # the revoking replica forgets the key at once: its first answer is already a refusal
        first = httpx.get(
            f"{replicas[0].base_url}/v1/models",
            headers={"Authorization": f"Bearer {victim.plaintext}"},
            timeout=10,
        )
        assert first.status_code == 401, first.text
        _refused_by_all(replicas[1:], victim.plaintext, deadline)
    finally:
        for replica in replicas:
            stop_server(replica)

    verify = audit_verify(home, url)
    assert verify.returncode == 0, verify.stdout + verify.stderr
