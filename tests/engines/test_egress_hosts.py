"""Egress beyond HTTP: the database URL is checked, and localhost names never reach a resolver."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agadir.config import Settings, UpstreamSettings
from agadir.egress import EgressPolicy, guard_database_url, guarded_client
from agadir.engines.base import ChatMessage, SamplingParams, collect
from agadir.engines.upstream import UpstreamEngine
from agadir.errors import EgressDeniedError
from tests.upstreams import InstantUpstream, start_upstream

DENY = EgressPolicy([])


@pytest.fixture
def resolver_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every host name handed to the system resolver in this process."""
    calls: list[str] = []
    real = socket.getaddrinfo

    def recording(host: object, *args: object, **kwargs: object) -> object:
        calls.append(str(host))
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    yield calls


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://agadir:pw@db.example.org:5432/agadir",
        "postgresql://agadir@10.0.0.9/agadir",
        "postgresql+psycopg://agadir@/agadir?host=db.example.org",
        "postgresql+psycopg://agadir@/agadir?hostaddr=203.0.113.5",
        "postgres://agadir@[2001:db8::1]:5432/agadir",
    ],
)
def test_a_remote_database_is_refused(url: str) -> None:
    with pytest.raises(EgressDeniedError, match="egress_allow"):
        guard_database_url(url, DENY)


def test_an_allow_listed_database_passes_unchanged() -> None:
    url = "postgresql+psycopg://agadir:pw@db.internal:5432/agadir"
    assert guard_database_url(url, EgressPolicy(["db.internal"])) == url
    url = "postgresql+psycopg://agadir@10.0.0.9/agadir"
    assert guard_database_url(url, EgressPolicy(["10.0.0.0/8"])) == url


def test_local_databases_pass_and_localhost_names_are_pinned() -> None:
    socket_url = "postgresql+psycopg://postgres@/postgres?host=/tmp/pg-socket"
    assert guard_database_url(socket_url, DENY) == socket_url
    assert guard_database_url("sqlite:////tmp/a.db", DENY) == "sqlite:////tmp/a.db"
    pinned = guard_database_url("postgresql+psycopg://u:pw@db.localhost:5433/agadir", DENY)
    assert pinned == "postgresql+psycopg://u:pw@127.0.0.1:5433/agadir"
    pinned = guard_database_url("postgresql+psycopg://u@/agadir?host=pg.localhost", DENY)
    assert pinned.endswith("?host=127.0.0.1")


def test_libpq_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "db.example.org")
    with pytest.raises(EgressDeniedError):
        guard_database_url("postgresql+psycopg://agadir@/agadir", DENY)
    monkeypatch.setenv("PGHOST", "pg.localhost")
    pinned = guard_database_url("postgresql+psycopg://agadir@/agadir", DENY)
    assert pinned.endswith("?host=127.0.0.1")


def test_settings_refuse_a_database_outside_the_allow_list(agadir_home: Path) -> None:
    settings = Settings(database_url="postgresql+psycopg://agadir@db.example.org/agadir")
    with pytest.raises(EgressDeniedError, match=r"db\.example\.org"):
        _ = settings.resolved_database_url
    allowed = Settings(
        database_url="postgresql+psycopg://agadir@db.example.org/agadir",
        egress_allow=["db.example.org"],
    )
    assert "db.example.org" in allowed.resolved_database_url


@pytest.fixture(scope="module")
def upstream() -> Iterator[InstantUpstream]:
    up = start_upstream("instant")
    yield up
    up.stop()


async def test_localhost_names_go_to_loopback_without_a_resolver(
    upstream: InstantUpstream, resolver_calls: list[str]
) -> None:
    async with guarded_client(DENY) as client:
        response = await client.get(f"http://models.localhost:{upstream.port}/v1/models")
    assert response.status_code == 200 and response.json()["data"][0]["id"] == "instant"
    assert not [h for h in resolver_calls if "localhost" in h]


async def test_decision_is_cached_per_host() -> None:
    policy = EgressPolicy(["10.0.0.0/8"])
    assert policy.allows("10.1.2.3") and not policy.allows("example.org")
    assert policy._decisions == {"10.1.2.3": True, "example.org": False}
    async with guarded_client(policy) as client:
        with pytest.raises(EgressDeniedError):
            await client.get("http://example.org/")


async def test_upstream_engine_pins_localhost_names_on_every_path(
    settings: Settings, upstream: InstantUpstream, resolver_calls: list[str]
) -> None:
    config = UpstreamSettings(name="up", base_url=f"http://llm.localhost:{upstream.port}/v1")
    engine = UpstreamEngine(config, settings)
    messages = [ChatMessage("user", "hi")]
    assert (await collect(engine.stream_chat(messages, SamplingParams()))).text == "ok"
    assert "".join([d.text async for d in engine.stream_chat(messages, SamplingParams())]) == "ok"
    await engine.aclose()
    assert not [h for h in resolver_calls if "localhost" in h]
