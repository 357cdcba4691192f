"""Two real gateway processes on one PostgreSQL share quota counters and one audit chain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from agadir.governance import KeyService, Limits, TenantService
from agadir.store import open_store
from tests.pg import url_or_skip
from tests.servers import start_server, stop_server

pytestmark = pytest.mark.e2e


def test_two_replicas_share_one_rate_limit(tmp_path: Path) -> None:
    url = url_or_skip("postgresql", tmp_path)
    store = open_store(url)
    TenantService(store).create("coop", pii_mode="off", limits=Limits(rpm=10))
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
                json={"model": "echo", "messages": [{"role": "user", "content": f"n {i}"}]},
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

    verify = subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", "audit", "verify"],
        capture_output=True,
        text=True,
        env={**os.environ, "AGADIR_HOME": str(home), "AGADIR_DATABASE_URL": url},
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
