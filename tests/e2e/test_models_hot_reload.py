"""`agadir models add` / `remove` on a running server: applied without a restart.

A real server process and the real CLI share one AGADIR_HOME; the official `openai` client
sees the new model in `/v1/models`, chats with it, then gets a 404 once it is removed. The
model registered is the packaged SmolLM2 file under a second name, as any store entry
(`agadir tune export` writes the same kind of manifest).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.servers import RunningServer, start_server, stop_server

pytestmark = pytest.mark.e2e
NEW = "smollm2-second-name"


@pytest.fixture
def lone_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A server of its own (this test changes its model store), without the sample packs."""
    running = start_server(tmp_path / "home", env={"AGADIR_KNOWLEDGE__PACKS": "[]"})
    yield running
    stop_server(running)


def _agadir(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGADIR_HOME": str(home)}
    env.pop("AGADIR_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_model_added_to_the_store_is_served_without_restart(
    lone_server: RunningServer, smollm_path: Path
) -> None:
    client = openai.OpenAI(
        base_url=f"{lone_server.base_url}/v1", api_key=lone_server.admin_key, max_retries=0
    )
    assert NEW not in {m.id for m in client.models.list()}
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model=NEW, messages=[{"role": "user", "content": "hi"}], max_tokens=4
        )

    added = _agadir(lone_server.home, "models", "add", str(smollm_path), "--name", NEW)
    assert added.returncode == 0, added.stderr
    assert NEW in {m.id for m in client.models.list()}
    reply = client.chat.completions.create(
        model=NEW,
        messages=[{"role": "user", "content": "Name a fruit."}],
        max_tokens=8,
        temperature=0,
    )
    assert reply.model == NEW and reply.choices[0].message.content
    assert reply.usage is not None and 0 < reply.usage.completion_tokens <= 8

    removed = _agadir(lone_server.home, "models", "remove", NEW)
    assert removed.returncode == 0, removed.stderr
    # listing checks the store every time (a chat request at most once a second)
    assert NEW not in {m.id for m in client.models.list()}
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model=NEW, messages=[{"role": "user", "content": "hi"}], max_tokens=4
        )
    assert lone_server.process.poll() is None  # the same process throughout
