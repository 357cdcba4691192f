"""Grounded answers end to end: the real server (sample packs loaded at start, the packaged
SmolLM2), driven by the official `openai` client, in Darija, Arabizi and French."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

from tests.servers import RunningServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=server.admin_key, max_retries=0)


def stored_documents(server: RunningServer, kb: str) -> dict[str, dict[str, object]]:
    r = httpx.get(f"{server.base_url}/v1/knowledge/{kb}/documents", headers=server.headers)
    return {d["id"]: d for d in r.json()["data"]}


def test_sample_packs_are_loaded_and_listed_as_models(
    client: openai.OpenAI, server: RunningServer
) -> None:
    ids = {m.id for m in client.models.list()}
    assert {"kb:agriculture", "kb:tourism"} <= ids
    assert len(stored_documents(server, "agriculture")) >= 10
    assert len(stored_documents(server, "tourism")) >= 10


def test_darija_question_gets_an_answer_with_checked_citations(
    client: openai.OpenAI, server: RunningServer
) -> None:
    reply = client.chat.completions.create(
        model="kb:tourism",
        messages=[{"role": "user", "content": "فوقاش دخلات ساحة جامع الفنا للتراث ديال اليونسكو؟"}],
        temperature=0,
        max_tokens=48,
        extra_body={"answer_mode": "generative"},  # the packaged model writes when asked to
    )
    assert (reply.model_extra or {})["answer_mode"] == "generative"
    assert reply.choices[0].message.content
    citations = (reply.model_extra or {})["citations"]
    assert citations, "a grounded answer must carry its supporting passages"
    docs = stored_documents(server, "tourism")
    assert any(docs[c["document_id"]]["name"] == "sahat-jamaa-lfna.md" for c in citations)
    for c in citations:
        assert c["quote"] and c["end"] > c["start"] and c["page"] == 1
    assert reply.usage is not None and reply.usage.prompt_tokens > 50  # passages were sent


def test_streamed_arabizi_question_with_knowledge_base_extra(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="smollm2-135m-instruct",
        messages=[{"role": "user", "content": "imta kayjniw zitoun f lmaghrib?"}],
        temperature=0,
        max_tokens=32,
        stream=True,
        extra_body={"knowledge_base": "agriculture"},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    citations = (final[0].model_extra or {}).get("citations")
    assert text and citations
    assert any("zaytoun" in c["document"] for c in citations)


def test_export_streams_a_pack_as_jsonl(server: RunningServer) -> None:
    url = f"{server.base_url}/v1/knowledge/tourism/export"
    with httpx.stream("GET", url, headers=server.headers, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        rows = [json.loads(line) for line in r.iter_lines() if line]
    assert len(rows) >= 10 and all(row["kb"] == "tourism" for row in rows)
    for row in rows:
        assert row["chunks"] and all(c["end"] <= len(row["text"]) for c in row["chunks"])


def test_background_upload_is_a_job_that_finishes(server: RunningServer) -> None:
    base = {"name": "e2e-jobs", "purpose": "test", "legal_basis": "test"}
    created = httpx.post(f"{server.base_url}/v1/knowledge", json=base, headers=server.headers)
    assert created.status_code == 201, created.text
    r = httpx.post(
        f"{server.base_url}/v1/knowledge/e2e-jobs/documents?background=true",
        files=[("files", ("safran.md", b"# Safran\n\nLe safran de Taliouine.\n"))],
        headers=server.headers,
    )
    assert r.status_code == 202, r.text
    job_url = f"{server.base_url}{r.headers['location']}"
    deadline = time.monotonic() + 120
    while (job := httpx.get(job_url, headers=server.headers).json())["status"] != "done":
        assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["result"]["added"] == 1 and job["progress"]["files_done"] == 1
    httpx.delete(f"{server.base_url}/v1/knowledge/e2e-jobs", headers=server.headers)


def test_the_packaged_model_answers_by_quoting_its_sources(client: openai.OpenAI) -> None:
    """auto (the default) on SmolLM2-135M is extractive: sentences quoted from the cited
    passages, each with its [n], and no model call."""
    reply = client.chat.completions.create(
        model="kb:agriculture",
        messages=[{"role": "user", "content": "wach khassni chahada nbatiya bach njib zri3a?"}],
        temperature=0,
    )
    extra = reply.model_extra or {}
    assert extra["answer_mode"] == "extractive"
    quotes = {c["index"]: c for c in extra["citations"]}
    answer = reply.choices[0].message.content or ""
    for line in answer.splitlines():
        sentence, _, mark = line.rpartition(" [")
        cited = quotes[int(mark.rstrip("]"))]
        assert sentence in cited["quote"] and cited["cited"]
    assert any(c["document"] == "onssa-sante-vegetale.md" for c in quotes.values() if c["cited"])
    assert reply.usage is not None and reply.usage.completion_tokens == 0
