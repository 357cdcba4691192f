"""Background ingestion over HTTP: 202 and a job, search served meanwhile, progress,
cancellation that leaves nothing behind, tenants taking turns, and the streamed export.

No test waits for a transient state: a `Gate` holds the embedding of the file that carries
its marker word until the test releases it, so "the job is still running" is a fact the test
controls, not a race it hopes to win.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from agadir.config import Settings
from agadir.engines.embeddings import SentenceEncoderEngine
from agadir.gateway.app import create_app
from agadir.gateway.state import GatewayState
from agadir.knowledge import ingest
from agadir.knowledge.service import KnowledgeService, engine_embedder
from tests.knowledge.conftest import write
from tests.knowledge.test_kb_api import SOUSS, Api

MARK = "arganeraie"


@dataclass
class Gate:
    """Holds any embedding batch whose text holds `marker` until `release` is set."""

    marker: str = MARK
    release: asyncio.Event = field(default_factory=asyncio.Event)
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    seen: list[str] = field(default_factory=list)  # first word of each embedded batch's file


@dataclass
class Setup:
    api: Api
    gate: Gate
    service: KnowledgeService
    admin: dict[str, str]
    reader: dict[str, str]


@pytest.fixture
async def setup(
    settings: Settings, tmp_path: Path, encoder: SentenceEncoderEngine
) -> AsyncIterator[Setup]:
    settings.knowledge.ingest_workers = 1
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        state: GatewayState = app.state.agadir
        state.governance.tenants.create("coop", pii_mode="off")
        real = engine_embedder(encoder)
        gate = Gate()

        async def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
            gate.seen.append(texts[0].split()[1] if texts[0].startswith("#") else texts[0][:12])
            if any(gate.marker in t for t in texts):
                gate.reached.set()
                await gate.release.wait()
            return await real(texts)

        service = KnowledgeService.from_settings(state.governance.store, embed, settings.knowledge)
        state.knowledge = service
        service.bases.create("agri", owner="coop", purpose="advice", legal_basis="public")
        write(tmp_path / "docs", "souss.md", SOUSS)
        await service.ingestor.ingest_paths("agri", [tmp_path / "docs"], owner="coop")
        gate.seen.clear()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agadir") as client:
            api = Api(client, state)
            yield Setup(
                api, gate, service, api.key("coop", "admin,kb:agri"), api.key("coop", "kb:agri")
            )
        gate.release.set()


def doc(title: str, words: str) -> bytes:
    return f"# {title}\n\n{words}\n".encode()


BIG = doc("Argan", f"L'{MARK} de la plaine du Souss couvre des milliers d'hectares. " * 100)


async def documents(s: Setup) -> set[str]:
    r = await s.api.client.get("/v1/knowledge/agri/documents", headers=s.reader)
    return {d["name"] for d in r.json()["data"]}


async def test_a_big_upload_is_a_job_and_search_is_served_while_it_runs(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = setup
    threads: list[int] = []
    prepare = ingest.prepare

    def recording_prepare(*args: object, **kwargs: object) -> object:
        threads.append(threading.get_ident())
        return prepare(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "prepare", recording_prepare)
    s.service.background_bytes = 5_000  # BIG is ~7 KB
    files = [("files", ("argan.md", BIG)), ("files", ("dattes.md", doc("Dattes", "Mejhoul.")))]
    r = await s.api.client.post("/v1/knowledge/agri/documents", files=files, headers=s.admin)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["object"] == "knowledge.ingest_job" and job["result"] is None
    assert r.headers["location"] == f"/v1/knowledge/agri/jobs/{job['id']}"

    await asyncio.wait_for(s.gate.reached.wait(), 120)  # the job is inside argan.md, held
    found = await s.api.client.post(
        "/v1/knowledge/agri/search", json={"query": "tomates serre"}, headers=s.reader
    )
    assert found.status_code == 200 and found.json()["data"][0]["document"] == "souss.md"
    running = (await s.api.client.get(r.headers["location"], headers=s.admin)).json()
    assert running["status"] == "running" and running["progress"]["files_done"] == 0
    assert running["progress"]["current"]["name"] == "argan.md"

    s.gate.release.set()
    await s.service.jobs.wait(s.service.jobs.get("agri", job["id"]))
    done = (await s.api.client.get(r.headers["location"], headers=s.admin)).json()
    assert done["status"] == "done" and done["result"]["added"] == 2
    assert done["progress"]["files_done"] == done["progress"]["files_total"] == 2
    assert threads and threading.get_ident() not in threads  # extraction ran off the loop
    assert {"argan.md", "dattes.md"} <= await documents(s)


async def test_cancelling_a_running_job_leaves_nothing_behind(setup: Setup) -> None:
    s = setup
    before = await documents(s)
    files = [("files", ("first.md", doc("Safran", "Le safran de Taliouine."))),
             ("files", ("argan.md", BIG))]  # fmt: skip
    r = await s.api.client.post(
        "/v1/knowledge/agri/documents?background=true", files=files, headers=s.admin
    )
    assert r.status_code == 202, r.text
    await asyncio.wait_for(s.gate.reached.wait(), 120)
    assert "first.md" in await documents(s)  # stored before the cancellation
    job = s.service.jobs.get("agri", r.json()["id"])

    cancel = await s.api.client.delete(r.headers["location"], headers=s.admin)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelling"
    s.gate.release.set()
    await s.service.jobs.wait(job)

    final = (await s.api.client.get(r.headers["location"], headers=s.admin)).json()
    assert final["status"] == "cancelled"
    assert {f["status"] for f in final["result"]["files"]} == {"cancelled"}
    assert await documents(s) == before
    assert not job.upload.folder.exists()
    hits = await s.api.client.post(
        "/v1/knowledge/agri/search", json={"query": "safran Taliouine"}, headers=s.reader
    )
    assert all(h["document"] == "souss.md" for h in hits.json()["data"])


async def test_a_queued_job_is_cancelled_at_once_and_others_go_on(setup: Setup) -> None:
    s = setup
    url = "/v1/knowledge/agri/documents?background=true"
    held = await s.api.client.post(url, files=[("files", ("argan.md", BIG))], headers=s.admin)
    await asyncio.wait_for(s.gate.reached.wait(), 120)
    queued = await s.api.client.post(
        url, files=[("files", ("figues.md", doc("Figues", "Figues de Barbarie.")))], headers=s.admin
    )
    assert queued.json()["status"] == "queued"
    cancel = await s.api.client.delete(queued.headers["location"], headers=s.admin)
    assert cancel.json()["status"] == "cancelled"
    assert not s.service.jobs.get("agri", queued.json()["id"]).upload.folder.exists()
    s.gate.release.set()
    await s.service.jobs.wait(s.service.jobs.get("agri", held.json()["id"]))
    assert "argan.md" in await documents(s) and "figues.md" not in await documents(s)


async def test_tenants_take_turns_file_by_file(setup: Setup) -> None:
    s = setup
    s.api.key("hotel", "chat")  # creates the tenant
    s.service.bases.create("riads", owner="hotel", purpose="guests", legal_basis="contract")
    hotel = s.api.key("hotel", "admin,kb:riads")
    coop_files = [("files", ("a1.md", doc("Alpha", f"Un {MARK}."))),
                  ("files", ("a2.md", doc("Beta", "Deux."))),
                  ("files", ("a3.md", doc("Gamma", "Trois.")))]  # fmt: skip
    r1 = await s.api.client.post(
        "/v1/knowledge/agri/documents?background=true", files=coop_files, headers=s.admin
    )
    await asyncio.wait_for(s.gate.reached.wait(), 120)  # one worker, held inside a1.md
    r2 = await s.api.client.post(
        "/v1/knowledge/riads/documents?background=true",
        files=[("files", ("h1.md", doc("Riad", "Un riad à Marrakech.")))],
        headers=hotel,
    )
    assert r2.status_code == 202
    s.gate.release.set()
    await s.service.jobs.wait(s.service.jobs.get("agri", r1.json()["id"]))
    await s.service.jobs.wait(s.service.jobs.get("riads", r2.json()["id"]))
    # coop's second file waits for hotel's only one: a big uploader cannot starve the others.
    assert s.gate.seen == ["Alpha", "Riad", "Beta", "Gamma"]


async def test_jobs_of_another_tenant_or_base_are_not_found(setup: Setup) -> None:
    s = setup
    r = await s.api.client.post(
        "/v1/knowledge/agri/documents?background=true",
        files=[("files", ("dattes.md", doc("Dattes", "Mejhoul.")))],
        headers=s.admin,
    )
    job_id = r.json()["id"]
    stranger = s.api.key("hotel", "admin,kb:*")
    assert (await s.api.client.get(r.headers["location"], headers=stranger)).status_code == 403
    assert (await s.api.client.get(r.headers["location"], headers=s.reader)).status_code == 403
    missing = await s.api.client.get("/v1/knowledge/agri/jobs/ingest-0", headers=s.admin)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ingest_job_not_found"
    await s.service.jobs.wait(s.service.jobs.get("agri", job_id))


async def test_export_streams_jsonl_over_http(setup: Setup) -> None:
    s = setup
    r = await s.api.client.get("/v1/knowledge/agri/export", headers=s.admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert "content-length" not in r.headers  # streamed, not buffered
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [row["name"] for row in rows] == ["souss.md"]
    row = rows[0]
    assert row["kb"] == "agri" and row["legal_basis"] == "public" and row["chunks"]
    for chunk in row["chunks"]:
        assert set(chunk) == {"seq", "page", "start", "end"}
        assert row["text"][chunk["start"] : chunk["end"]].strip()
    assert (
        await s.api.client.get("/v1/knowledge/agri/export", headers=s.reader)
    ).status_code == 403
    exports = [r for r in s.api.records() if r.get("extra", {}).get("action") == "export"]
    assert len(exports) == 1 and exports[0]["status"] == 200
