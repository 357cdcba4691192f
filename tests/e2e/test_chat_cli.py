"""`agadir chat` against the real server: streamed reply on stdout, commands, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.servers import RunningServer, free_port

pytestmark = pytest.mark.e2e


def run_chat(url: str, key: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGADIR_API_KEY": key, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", "chat", "--url", url, "--model", "echo"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_chat_streams_replies_and_exits(server: RunningServer) -> None:
    result = run_chat(
        f"{server.base_url}/v1", server.admin_key, "salam a sahbi\n/reset\nbslama\n/exit\n"
    )
    assert result.returncode == 0, result.stderr
    assert "salam a sahbi" in result.stdout and "bslama" in result.stdout


def test_chat_without_a_server_says_what_to_do() -> None:
    result = run_chat(f"http://127.0.0.1:{free_port()}/v1", "agk_x", "hi\n")
    assert result.returncode == 2
    assert "agadir serve" in result.stderr and "Traceback" not in result.stderr


def test_chat_with_a_bad_key_shows_the_server_message(server: RunningServer) -> None:
    result = run_chat(f"{server.base_url}/v1", "agk_0123456789ab_" + "y" * 30, "hi\n")
    assert result.returncode == 2
    assert "401" in result.stderr and "invalid API key" in result.stderr
