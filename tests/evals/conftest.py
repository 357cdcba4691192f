"""Eval fixtures: the misbehaving upstream process and small task files in tmp folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import free_port

HERE = Path(__file__).parent


class Upstream:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def asked(self) -> list[dict[str, Any]]:
        if not self.log.is_file():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Callable[..., Upstream]]:
    started: list[Upstream] = []

    def start(**env: str) -> Upstream:
        port = int(env.pop("UP_PORT")) if "UP_PORT" in env else free_port()
        log = tmp_path / f"upstream-{port}.jsonl"
        process = subprocess.Popen(
            [sys.executable, str(HERE / "upstream_server.py"), str(port)],
            env={**os.environ, "UP_LOG": str(log), **env},
        )
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            process.kill()
            raise RuntimeError("upstream test server did not start")
        up = Upstream(process, url, log)
        started.append(up)
        return up

    yield start
    for up in started:
        up.process.kill()
        up.process.wait()


def write_task(folder: Path, name: str, samples: list[dict[str, Any]], **spec: Any) -> Path:
    """A task YAML + JSONL in `folder`; `spec` overrides the defaults of a chat task."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"{name}.jsonl"
    data.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples))
    body = {
        "name": name,
        "samples": data.name,
        "prompt": "{source}",
        "scorer": "translit",
        "reference": "target",
        **spec,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body, allow_unicode=True))
    return path
