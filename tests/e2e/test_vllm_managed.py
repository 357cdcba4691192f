"""`engine = "vllm"` end to end, with a stand-in `vllm` executable (tests/fake_vllm.py) that
records how it was started and serves vLLM's OpenAI API: `agadir serve` starts it, chats go
through it with the official `openai` client, `BASE:ADAPTER` reaches the LoRA module under the
same scope checks as llama.cpp adapters, a killed child is restarted, and none is left behind
when the server stops. What this cannot check without a GPU: a real vLLM (bench/bench_vllm.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from agadir.models.packaged import DEFAULT_MODEL
from tests.servers import RunningServer, free_port, start_server, stop_server
from tests.vllm_stub import adapter_dir, model_dir, vllm_executable

pytestmark = pytest.mark.e2e
_BOUND_S = 60  # a bound for giving up, not a wait for a state


def _agadir(home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
    full = {**os.environ, "AGADIR_HOME": str(home), **(env or {})}
    full.pop("AGADIR_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
    )


def _starts(record: Path) -> list[dict[str, object]]:
    if not record.is_file():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_home(tmp_path_factory.mktemp("vllm"))


def _make_home(root: Path) -> Path:
    """A store with a vLLM model folder `tiny` and two adapters (ranks 8 and 40)."""
    home = root / "home"
    folder = str(model_dir(root))
    added = _agadir(home, "models", "add", folder, "--name", "tiny", "--engine", "vllm")
    assert added.returncode == 0, added.stderr + added.stdout
    for name, rank in (("tenant-a", 8), ("tenant-b", 40)):
        path = adapter_dir(root, name, rank)
        added = _agadir(home, "models", "add-adapter", str(path), "--base", "tiny", "--name", name)
        assert added.returncode == 0, added.stderr + added.stdout
    return home


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {
        "AGADIR_MODEL": "tiny",
        "AGADIR_KNOWLEDGE__PACKS": "[]",
        "AGADIR_VLLM__EXECUTABLE": str(vllm_executable(home.parent)),
        "AGADIR_VLLM__RESTART_BACKOFF_S": "0.2",
        "AGADIR_VLLM__STOP_GRACE_S": "5",
        "FAKE_VLLM_RECORD": str(home.parent / "starts.jsonl"),
        **extra,
    }


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[RunningServer]:
    running = start_server(home, env=_env(home))
    yield running
    stop_server(running)


def test_serve_starts_vllm_with_the_settings_and_adapters(
    server: RunningServer, home: Path
) -> None:
    argv = _starts(home.parent / "starts.jsonl")[0]["argv"]
    assert isinstance(argv, list)
    assert argv[0] == "serve" and argv[1].endswith("tiny-llama")
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--served-model-name") + 1] == "tiny"
    assert "--enable-lora" in argv and argv[argv.index("--max-lora-rank") + 1] == "64"
    modules = argv[argv.index("--lora-modules") + 1 :][:2]
    assert [m.split("=")[0] for m in modules] == ["tenant-a", "tenant-b"]

    url = f"{server.base_url}/v1"
    client = openai.OpenAI(base_url=url, api_key=server.admin_key, max_retries=0)
    reply = client.chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=8
    )
    assert reply.choices[0].message.content == "served by tiny"
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    streamed = client.chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=8, stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == (
        "served by tiny"
    )
    card = client.models.retrieve("tiny:tenant-b")
    assert (card.model_extra or {}).get("parent") == "tiny"


def test_an_adapter_reaches_its_lora_module_only_for_keys_scoped_to_it(
    server: RunningServer,
) -> None:
    admin = httpx.Client(base_url=server.base_url, headers=server.headers, timeout=60)
    assert admin.post("/admin/tenants", json={"name": "acme"}).status_code == 201
    made = admin.post("/admin/keys", json={"tenant": "acme", "scopes": "chat,models:tiny:tenant-a"})
    assert made.status_code == 201, made.text
    client = openai.OpenAI(
        base_url=f"{server.base_url}/v1", api_key=str(made.json()["key"]), max_retries=0
    )
    ask: list[ChatCompletionMessageParam] = [{"role": "user", "content": "salam"}]
    reply = client.chat.completions.create(model="tiny:tenant-a", messages=ask, max_tokens=8)
    assert reply.choices[0].message.content == "served by tenant-a"
    assert reply.model == "tiny:tenant-a"
    chunks = client.chat.completions.create(
        model="tiny:tenant-a", messages=ask, max_tokens=8, stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).endswith(
        "tenant-a"
    )
    for other in ("tiny:tenant-b", "tiny"):
        with pytest.raises(openai.APIStatusError) as refused:
            client.chat.completions.create(model=other, messages=ask, max_tokens=8)
        assert refused.value.status_code in (403, 404)


def test_concurrent_tenants_each_get_their_own_adapter(server: RunningServer) -> None:
    """Requests of two tenants on two adapters, interleaved: a request that ran under the
    other tenant's LoRA module would answer with that module's name."""
    admin = httpx.Client(base_url=server.base_url, headers=server.headers, timeout=60)
    clients = {}
    for tenant in ("tenant-a", "tenant-b"):
        assert admin.post("/admin/tenants", json={"name": f"t-{tenant}"}).status_code == 201
        scopes = f"chat,models:tiny:{tenant}"
        made = admin.post("/admin/keys", json={"tenant": f"t-{tenant}", "scopes": scopes})
        assert made.status_code == 201, made.text
        clients[tenant] = openai.AsyncOpenAI(
            base_url=f"{server.base_url}/v1", api_key=str(made.json()["key"]), max_retries=0
        )

    async def ask(tenant: str, stream: bool) -> tuple[str, str]:
        client = clients[tenant]
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
        if not stream:
            reply = await client.chat.completions.create(
                model=f"tiny:{tenant}", messages=messages, max_tokens=8
            )
            return tenant, reply.choices[0].message.content or ""
        chunks = await client.chat.completions.create(
            model=f"tiny:{tenant}", messages=messages, max_tokens=8, stream=True
        )
        return tenant, "".join(
            [c.choices[0].delta.content or "" async for c in chunks if c.choices]
        )

    async def burst() -> list[tuple[str, str]]:
        jobs = [ask(t, i % 3 == 0) for i in range(24) for t in ("tenant-a", "tenant-b")]
        return await asyncio.gather(*jobs)

    answers = asyncio.run(burst())
    assert len(answers) == 48
    assert all(text == f"served by {tenant}" for tenant, text in answers), answers


def test_a_killed_vllm_is_restarted_and_serves_again(server: RunningServer, home: Path) -> None:
    record = home.parent / "starts.jsonl"
    first = _starts(record)[-1]["pid"]
    assert isinstance(first, int) and _alive(first)
    os.kill(first, signal.SIGKILL)
    client = openai.OpenAI(
        base_url=f"{server.base_url}/v1", api_key=server.admin_key, max_retries=0, timeout=30
    )
    deadline = time.monotonic() + _BOUND_S
    answer = None
    while answer is None and time.monotonic() < deadline:
        try:
            reply = client.chat.completions.create(
                model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=8
            )
            answer = reply.choices[0].message.content
        except openai.APIStatusError as exc:  # while it restarts: a clear 5xx, never a hang
            assert exc.status_code in (502, 503), exc
            time.sleep(0.2)
    assert answer == "served by tiny"
    starts = _starts(record)
    assert len(starts) >= 2 and starts[-1]["pid"] != first
    metrics = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    assert 'agadir_vllm_up{model="tiny"} 1.0' in metrics
    restarts = [ln for ln in metrics.splitlines() if ln.startswith("agadir_vllm_restarts_total")]
    assert restarts and float(restarts[0].split()[-1]) >= 1
    assert starts[-1]["argv"] == starts[0]["argv"]  # the same command, adapters included


def test_stopping_the_server_leaves_no_vllm_behind(home: Path, tmp_path: Path) -> None:
    record = tmp_path / "starts.jsonl"
    running = start_server(home, env=_env(home, FAKE_VLLM_RECORD=str(record)))
    pid = _starts(record)[-1]["pid"]
    assert isinstance(pid, int) and _alive(pid)
    stop_server(running)
    assert running.process.returncode is not None
    deadline = time.monotonic() + _BOUND_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def test_a_removed_model_s_vllm_is_stopped(tmp_path: Path) -> None:
    home = _make_home(tmp_path)
    record = tmp_path / "starts.jsonl"
    running = start_server(
        home, env=_env(home, FAKE_VLLM_RECORD=str(record), AGADIR_MODEL=DEFAULT_MODEL)
    )
    try:
        client = openai.OpenAI(
            base_url=f"{running.base_url}/v1", api_key=running.admin_key, max_retries=0
        )
        client.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=4
        )
        pid = _starts(record)[-1]["pid"]
        assert isinstance(pid, int) and _alive(pid)
        for name in ("tiny:tenant-a", "tiny:tenant-b", "tiny"):
            removed = _agadir(home, "models", "remove", name)
            assert removed.returncode == 0, removed.stderr
        assert "tiny" not in {m.id for m in client.models.list()}  # the server re-reads
        deadline = time.monotonic() + _BOUND_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid)
    finally:
        stop_server(running)


def _serve_fails(home: Path, env: dict[str, str]) -> str:
    done = _agadir(home, "serve", "--port", str(free_port()), env=env, timeout=300)
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_a_missing_vllm_is_a_clear_error(home: Path) -> None:
    out = _serve_fails(home, _env(home, AGADIR_VLLM__EXECUTABLE="/nonexistent/vllm"))
    assert "/nonexistent/vllm" in out and "agadir[gpu]" in out


def test_a_vllm_that_exits_at_start_is_a_clear_error(home: Path, tmp_path: Path) -> None:
    record = tmp_path / "starts.jsonl"
    out = _serve_fails(home, _env(home, FAKE_VLLM_FAIL="1", FAKE_VLLM_RECORD=str(record)))
    assert "exited with code 3" in out and "CUDA out of memory" in out  # the log's last lines
    assert "vllm-tiny.log" in out
    assert len(_starts(record)) == 1  # not restarted in a loop
