"""The network guard itself: loopback allowed, anything else refused and logged."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def test_guard_refuses_non_loopback_in_this_process() -> None:
    with socket.socket() as s, pytest.raises(OSError, match="network guard"):
        s.connect(("192.0.2.1", 80))
    log = Path(os.environ["AGADIR_NETGUARD_LOG"])
    lines = log.read_text().splitlines()
    assert lines and "192.0.2.1" in lines[-1]
    log.write_text("\n".join(lines[:-1]) + ("\n" if lines[:-1] else ""))  # expected: not a leak


def test_guard_reaches_child_processes(tmp_path: Path) -> None:
    env = {**os.environ, "AGADIR_NETGUARD_LOG": str(tmp_path / "child.log")}
    code = "import socket; s = socket.socket(); s.connect(('198.51.100.7', 443))"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "network guard" in result.stderr
    assert "198.51.100.7" in (tmp_path / "child.log").read_text()


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.socket() as client:
            client.connect(server.getsockname())
