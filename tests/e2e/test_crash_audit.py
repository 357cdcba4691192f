"""SIGKILL in the middle of a burst: every request that got a 200 has its audit record, and the
chain still verifies after restart."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from agadir.audit import load_key
from agadir.audit.signing import content_key
from agadir.store import open_store
from agadir.store.schema import audit_log
from tests.servers import start_server, stop_server

pytestmark = pytest.mark.e2e


def test_sigkill_mid_burst_loses_no_acknowledged_record(tmp_path: Path) -> None:
    home = tmp_path / "home"
    server = start_server(home, "--enable-echo")
    url = f"{server.base_url}/v1/chat/completions"
    acknowledged: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def one(i: int) -> None:
        text = f"request number {i} from the burst"
        body = {"model": "echo", "messages": [{"role": "user", "content": text}]}
        try:
            r = httpx.post(url, json=body, headers=server.headers, timeout=10)
        except httpx.HTTPError:
            return
        if r.status_code == 200:
            with lock:
                acknowledged.append(text)
                if len(acknowledged) == 60:
                    os.kill(server.process.pid, signal.SIGKILL)
                    killed.set()

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(one, range(400)))
    finally:
        if not killed.is_set():
            stop_server(server)
    assert killed.is_set(), "the burst ended before the server was killed"
    server.process.wait(timeout=10)
    assert len(acknowledged) >= 60

    store = open_store(f"sqlite:///{home / 'agadir.db'}")
    with store.read() as conn:
        bodies = [json.loads(r.body) for r in conn.execute(select(audit_log.c.body))]
    store.close()
    recorded = {b["content"]["request_hmac"] for b in bodies if b.get("content")}
    hashing = content_key(load_key(home))
    missing = [
        t
        for t in acknowledged
        if hmac.new(hashing, t.encode(), hashlib.sha256).hexdigest() not in recorded
    ]
    assert not missing, f"{len(missing)} acknowledged requests have no audit record"

    env = {**os.environ, "AGADIR_HOME": str(home)}
    verify = subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr

    restarted = start_server(home, "--enable-echo")  # the database opens and serves again
    try:
        r = httpx.post(
            f"{restarted.base_url}/v1/chat/completions",
            json={"model": "echo", "messages": [{"role": "user", "content": "after"}]},
            headers=restarted.headers,
            timeout=10,
        )
        assert r.status_code == 200
    finally:
        stop_server(restarted)
