"""Start bench/instant_upstream.py processes (tiny OpenAI-compatible upstreams) for tests."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers import free_port

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "instant_upstream.py"


class InstantUpstream:
    def __init__(self, name: str, port: int, process: subprocess.Popen[bytes]) -> None:
        self.name = name
        self.port = port
        self.process = process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def served(self) -> int:
        """Generations this upstream answered so far."""
        stats = httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=5).json()
        return int(stats["requests"])

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


def start_upstream(name: str = "instant", *extra: str) -> InstantUpstream:
    """Start one upstream on a free loopback port and wait (bounded) until it answers."""
    port = free_port()
    cmd = [sys.executable, str(SCRIPT), "--port", str(port), "--name", name, *extra]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    upstream = InstantUpstream(name, port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"instant upstream exited with {process.returncode}")
        try:
            upstream.served()
            return upstream
        except httpx.HTTPError:
            time.sleep(0.05)
    upstream.stop()
    raise RuntimeError("instant upstream did not start")
