"""Start real `agadir serve` processes on free loopback ports (used by e2e fixtures)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningServer:
    def __init__(self, base_url: str, process: subprocess.Popen[bytes], log: Path, home: Path):
        self.base_url = base_url
        self.process = process
        self.log = log
        self.home = home

    @property
    def admin_key(self) -> str:
        """The first-serve admin key the server wrote under its AGADIR_HOME."""
        return (self.home / "admin.key").read_text().strip()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


def start_server(home: Path, *extra: str, env: dict[str, str] | None = None) -> RunningServer:
    port = free_port()
    log = home.parent / f"server-{port}.log"
    full_env = {**os.environ, "AGADIR_HOME": str(home), **(env or {})}
    full_env.pop("AGADIR_CONFIG", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "agadir.cli.main", "serve", "--port", str(port), *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
    base = f"http://127.0.0.1:{port}"
    # A bound for giving up, not a wait for a state: first start loads the sample packs, which
    # took over 120 s on a 2-core machine shared with a load of ~17.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return RunningServer(base, process, log, home)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not become healthy:\n{log.read_text()}")


def stop_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


def audit_verify(home: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    """`agadir audit verify` on a store the servers of `home` wrote (their audit key)."""
    return subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", "audit", "verify"],
        capture_output=True,
        text=True,
        env={**os.environ, "AGADIR_HOME": str(home), "AGADIR_DATABASE_URL": database_url},
        timeout=120,
    )
