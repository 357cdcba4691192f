"""Grounded chat's answer modes over the sample packs, through the in-process app: extractive
answers quote the cited passages verbatim and call no model, generative lets the model write,
auto falls back to quoting when the model cites nothing (the echo engine never cites)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from agadir.config import Settings
from agadir.gateway.app import create_app
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.knowledge.grounding import resolve_mode
from agadir.gateway.state import GatewayState
from agadir.knowledge.packs import load_pack

_LINE = re.compile(r"^(.+) \[(\d+)\]$")


@dataclass
class App:
    client: httpx.AsyncClient
    state: GatewayState
    headers: dict[str, str]


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    application = create_app(settings, enable_echo=True)
    async with application.router.lifespan_context(application):
        state: GatewayState = application.state.agadir
        service = await knowledge(state)
        for pack in ("agriculture", "tourism"):
            await load_pack(service, pack)
        gov = state.governance
        gov.tenants.create("coop", pii_mode="off")
        key = gov.keys.create("coop", "chat,models:*,kb:*").plaintext
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            yield App(client, state, {"Authorization": f"Bearer {key}"})


def body(kb: str, question: str, **extra: object) -> dict[str, object]:
    return {
        "model": "echo",
        "knowledge_base": kb,
        "temperature": 0,
        "messages": [{"role": "user", "content": question}],
        **extra,
    }


def assert_quoted(answer: str, citations: list[dict[str, object]]) -> set[str]:
    """Every answer line is `sentence [n]` with the sentence inside citation n's quote;
    returns the documents quoted."""
    by_index = {c["index"]: c for c in citations}
    lines = answer.splitlines()
    assert lines, "an extractive answer quotes at least one sentence"
    quoted = set()
    for line in lines:
        match = _LINE.match(line)
        assert match, f"not a quoted sentence with its citation: {line!r}"
        source = by_index[int(match.group(2))]
        assert match.group(1) in str(source["quote"])
        assert source["cited"] is True
        quoted.add(str(source["document"]))
    return quoted


@pytest.mark.parametrize(
    ("kb", "question", "gold"),
    [
        ("agriculture", "wach khassni chahada nbatiya bach njib zri3a?", "onssa-sante-vegetale.md"),
        (
            "agriculture",
            "Faut-il un certificat phytosanitaire pour importer des semences ?",
            "onssa-sante-vegetale.md",
        ),
    ],
)
async def test_extractive_answers_quote_the_cited_passages(
    app: App, kb: str, question: str, gold: str
) -> None:
    r = await app.client.post(
        "/v1/chat/completions",
        json=body(kb, question, answer_mode="extractive"),
        headers=app.headers,
    )
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["answer_mode"] == "extractive"
    answer = reply["choices"][0]["message"]["content"]
    assert gold in assert_quoted(answer, reply["citations"])
    assert reply["usage"]["completion_tokens"] == 0  # no model was called


async def test_extractive_streams_the_same_answer(app: App) -> None:
    question = "Faut-il un certificat phytosanitaire pour importer des semences ?"
    whole = await app.client.post(
        "/v1/chat/completions",
        json=body("agriculture", question, answer_mode="extractive"),
        headers=app.headers,
    )
    async with app.client.stream(
        "POST",
        "/v1/chat/completions",
        json=body("agriculture", question, answer_mode="extractive", stream=True),
        headers=app.headers,
    ) as r:
        events = [line[6:] async for line in r.aiter_lines() if line.startswith("data: ")]
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    final = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"])
    assert final["answer_mode"] == "extractive"
    assert text == whole.json()["choices"][0]["message"]["content"]
    assert_quoted(text, final["citations"])


async def test_generative_is_still_available_and_auto_falls_back(app: App) -> None:
    question = "Faut-il un certificat phytosanitaire pour importer des semences ?"
    generative = (
        await app.client.post(
            "/v1/chat/completions",
            json=body("agriculture", question, answer_mode="generative"),
            headers=app.headers,
        )
    ).json()
    assert generative["answer_mode"] == "generative"
    assert not any(c["cited"] for c in generative["citations"])  # echo cites nothing
    auto = (
        await app.client.post(
            "/v1/chat/completions", json=body("agriculture", question), headers=app.headers
        )
    ).json()
    assert auto["answer_mode"] == "extractive"  # echo is large for all we know, but cited nothing
    assert_quoted(auto["choices"][0]["message"]["content"], auto["citations"])
    async with app.client.stream(
        "POST",
        "/v1/chat/completions",
        json=body("agriculture", question, stream=True),
        headers=app.headers,
    ) as r:
        events = [line[6:] async for line in r.aiter_lines() if line.startswith("data: ")]
    final = next(
        c for c in (json.loads(e) for e in events[:-1])
        if c["choices"] and c["choices"][0]["finish_reason"]
    )  # fmt: skip
    assert final["answer_mode"] == "generative+extractive"
    assert any(c["cited"] for c in final["citations"])


async def test_the_cache_keeps_modes_apart(app: App) -> None:
    question = "Quand récolte-t-on les olives ?"
    modes = []
    for mode in ("generative", "auto", "generative"):
        r = await app.client.post(
            "/v1/chat/completions",
            json=body("agriculture", question, answer_mode=mode),
            headers=app.headers,
        )
        modes.append(r.json()["answer_mode"])
    assert modes == ["generative", "extractive", "generative"]


async def test_unknown_mode_is_refused_and_no_answer_path_stays(app: App) -> None:
    r = await app.client.post(
        "/v1/chat/completions",
        json=body("agriculture", "x", answer_mode="poetic"),
        headers=app.headers,
    )
    assert r.status_code == 422, r.text  # the gateway's validation status, OpenAI's error shape
    assert r.json()["error"]["type"] == "invalid_request_error"
    r = await app.client.post(
        "/v1/chat/completions",
        json=body("agriculture", "What is the capital of Japan?", answer_mode="extractive"),
        headers=app.headers,
    )
    reply = r.json()
    assert (
        reply["citations"] == [] and "knowledge base" in reply["choices"][0]["message"]["content"]
    )


def test_auto_is_extractive_for_small_model_files(app: App) -> None:
    from agadir.models.manifest import ModelManifest

    manifest = ModelManifest(
        name="tiny", path="", engine="llamacpp", sha256="", size_bytes=140_000_000,
        source="test", context_length=2048, capabilities=["chat"],
    )  # fmt: skip
    entries = app.state.engines._entries
    entries["tiny"] = type(entries["echo"])(
        "tiny", "llamacpp", ("chat",), 2048, None, "agadir", manifest
    )
    assert resolve_mode(app.state, "tiny", None) == "extractive"
    assert resolve_mode(app.state, "tiny", "generative") == "generative"
    assert resolve_mode(app.state, "echo", None) == "auto"  # size unknown: generative first
