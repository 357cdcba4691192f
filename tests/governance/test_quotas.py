from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.pg import url_or_skip

from agadir.config import Settings
from agadir.governance import (
    KeyService,
    Limits,
    QuotaService,
    RateLimitedError,
    TenantService,
    ensure_admin_key,
)
from agadir.store import open_store


class Clock:
    def __init__(self) -> None:
        self.now = 5_000_000.0

    def __call__(self) -> float:
        return self.now


def _principal(store, *, tenant_limits=None, key_limits=None):
    TenantService(store).create("acme", limits=tenant_limits)
    keys = KeyService(store)
    return keys.authenticate(keys.create("acme", "chat", limits=key_limits).plaintext)


def test_requests_per_minute_refuse_then_refill(store):
    clock = Clock()
    principal = _principal(store, key_limits=Limits(rpm=2))
    quotas = QuotaService(store, clock=clock)
    quotas.reserve(principal, 0)
    second = quotas.reserve(principal, 0)
    assert second.headers["x-ratelimit-remaining-requests"] == "0"
    with pytest.raises(RateLimitedError) as info:
        quotas.reserve(principal, 0)
    assert info.value.status_code == 429
    assert 29 < info.value.retry_after <= 30  # one request refills in 60/2 s
    assert info.value.headers["retry-after"] == "30"
    assert info.value.headers["x-ratelimit-limit-requests"] == "2"
    clock.now += 30
    quotas.reserve(principal, 0)
    quotas.close()


def test_refusal_is_all_or_nothing_and_settle_refunds(store):
    clock = Clock()
    principal = _principal(store, tenant_limits=Limits(tpm=100), key_limits=Limits(rpm=100))
    quotas = QuotaService(store, clock=clock)
    reservation = quotas.reserve(principal, 80)
    assert reservation.headers["x-ratelimit-remaining-tokens"] == "20"
    with pytest.raises(RateLimitedError):
        quotas.reserve(principal, 50)  # tenant tokens short: the key's request is not taken
    quotas.settle(reservation, 10)  # 70 given back
    after = quotas.reserve(principal, 50)
    assert after.headers["x-ratelimit-remaining-tokens"] == "40"
    assert after.headers["x-ratelimit-remaining-requests"] == "98"
    quotas.close()


def test_tokens_per_day_estimate_above_capacity_waits_for_a_full_bucket(store):
    clock = Clock()
    principal = _principal(store, key_limits=Limits(tpd=1000))
    quotas = QuotaService(store, clock=clock)
    quotas.reserve(principal, 5000)  # capped at capacity: passes on a full bucket
    with pytest.raises(RateLimitedError) as info:
        quotas.reserve(principal, 1)
    assert info.value.retry_after == pytest.approx(86.4, rel=1e-3)  # 1 token at 1000/day
    quotas.close()


def test_counters_survive_a_restart(url):
    store = open_store(url)
    clock = Clock()
    principal = _principal(store, key_limits=Limits(rpm=5))
    quotas = QuotaService(store, clock=clock)
    for _ in range(4):
        quotas.reserve(principal, 0)
    quotas.close()
    store.close()

    reopened = open_store(url)
    fresh = QuotaService(reopened, clock=clock)
    assert fresh.reserve(principal, 0).headers["x-ratelimit-remaining-requests"] == "0"
    with pytest.raises(RateLimitedError):
        fresh.reserve(principal, 0)
    fresh.close()
    reopened.close()


_WORKER = textwrap.dedent(
    """
    import sys
    from agadir.governance import KeyService, QuotaService, RateLimitedError
    from agadir.store import open_store
    store = open_store(sys.argv[1])
    principal = KeyService(store).authenticate(sys.argv[2])
    quotas = QuotaService(store, clock=lambda: 1000.0)
    granted = 0
    for _ in range(int(sys.argv[3])):
        try:
            quotas.reserve(principal, 1)
            granted += 1
        except RateLimitedError:
            pass
    print(granted)
    """
)


def test_two_processes_share_postgres_counters(tmp_path):
    url = url_or_skip("postgresql", tmp_path)  # shared counters are the PostgreSQL strategy
    store = open_store(url)
    TenantService(store).create("shared")
    raw = KeyService(store).create("shared", "chat", limits=Limits(tpd=150)).plaintext
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, url, raw, "120"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    granted = [int(p.communicate(timeout=120)[0].strip()) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(granted) == 150, granted  # exactly the limit across both processes
    assert min(granted) > 0
    store.close()


def test_admin_key_file_is_private_and_works(tmp_path, url):
    settings = Settings(home=tmp_path / "home", database_url=url)
    path = ensure_admin_key(settings)
    assert path is not None and path.stat().st_mode & 0o777 == 0o600
    store = open_store(url)
    principal = KeyService(store).authenticate(path.read_text().strip())
    principal.require("admin")
    principal.require_model("anything")
    assert ensure_admin_key(settings, store) == path  # second serve: same key kept
    assert path.read_text().strip() and len(KeyService(store).list("admin")) == 1
    store.close()


def test_new_limits_apply_to_the_next_request(store):
    """Plans are cached per key; a principal carrying changed limits must not reuse the old
    plan (the key cache hands out such a principal after an admin edits the limits)."""
    clock = Clock()
    principal = _principal(store, key_limits=Limits(rpm=2))
    quotas = QuotaService(store, clock=clock)
    quotas.reserve(principal, 0)
    quotas.reserve(principal, 0)
    raised = dataclasses.replace(principal, limits=Limits(rpm=5, tpm=50))
    with pytest.raises(RateLimitedError) as info:  # the level is not refilled by a new limit
        quotas.reserve(raised, 10)
    assert info.value.headers["x-ratelimit-limit-requests"] == "5"
    clock.now += 12  # 5/min refills one request in 12 s
    granted = quotas.reserve(raised, 10)
    assert granted.headers["x-ratelimit-remaining-requests"] == "0"
    assert granted.headers["x-ratelimit-limit-tokens"] == "50"
    assert granted.headers["x-ratelimit-remaining-tokens"] == "40"
    key_subject = f"key:{principal.key_id}:tpm"
    assert granted.state[key_subject] == 40 and granted.token_subjects == (key_subject,)
    unlimited = dataclasses.replace(principal, limits=Limits())
    assert quotas.reserve(unlimited, 10).headers == {}  # no bucket, no header
    quotas.close()
