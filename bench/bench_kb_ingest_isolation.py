"""Knowledge ingestion under load (issue 11, must fix 6): how long a search takes while another
tenant's big upload is being ingested, side by side with the same searches on an idle server,
and how long a decompression bomb takes to be refused.

In one run, on the gateway app in-process (httpx over ASGI, the real encoder and store):
1. idle: `--searches` searches by tenant `hotel` on its own base, one after another;
2. loaded: tenant `coop` uploads a `--mb` MB text file (answered 202, ingested as a job);
   the same searches run again while the job is still running (each latency is kept only if
   the job was not finished when the search returned);
3. bomb: a ~100 KB DOCX holding 60 MB of text, uploaded over HTTP, timed until refused.

Reported: p50/p95 per phase, the loaded/idle ratio, the upload's answer time and the job's
duration, and the bomb's refusal time.

    PYTHONPATH=src:. python bench/bench_kb_ingest_isolation.py [--mb 1] [--searches 40]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.knowledge.fixtures_docs import bomb_docx  # noqa: E402

from agadir.config import Settings  # noqa: E402
from agadir.gateway.app import create_app  # noqa: E402
from agadir.gateway.knowledge.access import knowledge  # noqa: E402
from agadir.gateway.state import GatewayState  # noqa: E402
from agadir.knowledge.service import engine_embedder  # noqa: E402

VOCABULARY = (  # the packs' farming vocabulary, drawn at random into sentences
    "tomates serre Souss récolte agrumes irrigation goutte arganier safran Taliouine cumin "
    "dattes Mejhoul Tafilalet oliviers Draa semis engrais coopérative export ONSSA certificat "
    "phytosanitaire plants saison hiver printemps eau barrage nappe sol salinité"
)
WORDS = VOCABULARY.split()
QUERIES = ["riad Marrakech petit déjeuner", "annulation réservation", "hammam horaires",
           "navette aéroport", "terrasse vue Atlas"]  # fmt: skip
HOTEL_DOCS = {
    "riad.md": "# Riad\n\nLe petit déjeuner est servi sur la terrasse avec vue sur l'Atlas.\n",
    "regles.md": "# Règles\n\nAnnulation gratuite jusqu'à 48 heures avant l'arrivée.\n",
    "services.md": "# Services\n\nHammam ouvert de 9 h à 21 h. Navette aéroport sur demande.\n",
}


def big_text(megabytes: float, seed: int = 11) -> bytes:
    rng = random.Random(seed)
    lines = ["# Notes agricoles\n"]
    size = 0
    while size < megabytes * 1e6:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize()
        lines.append(sentence + ".")
        size += len(lines[-1]) + 1
    return "\n".join(lines).encode()


@dataclass
class Result:
    idle: list[float]
    loaded: list[float]
    answered: float
    job_s: float
    chunks: int
    bomb: tuple[float, float, str] | None = None


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def scenario(args: argparse.Namespace, *, priority: bool) -> Result:
    """Idle searches, then searches during a big upload's job; `priority=False` runs the jobs
    without the query-first encoder gate and with the former 32-chunk batches (baseline)."""
    home = Path(tempfile.mkdtemp(prefix="agadir-bench-"))
    app = create_app(Settings(home=home, knowledge={"packs": []}), enable_echo=True)
    async with app.router.lifespan_context(app):
        state: GatewayState = app.state.agadir
        gov = state.governance
        for tenant in ("coop", "hotel"):
            gov.tenants.create(tenant, pii_mode="off")
        service = await knowledge(state)
        if not priority:
            raw = engine_embedder(await state.engines.get(state.settings.embedding_model))
            service.retriever.embed, service.ingestor.embed = raw, raw
            service.ingestor.embed_batch = 32
        service.bases.create("agri", owner="coop", purpose="advice", legal_basis="public")
        service.bases.create("riads", owner="hotel", purpose="guests", legal_basis="contract")
        coop = {"Authorization": f"Bearer {gov.keys.create('coop', 'admin,kb:agri').plaintext}"}
        hotel = {"Authorization": f"Bearer {gov.keys.create('hotel', 'admin,kb:riads').plaintext}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://agadir", timeout=600
        ) as client:
            files = [("files", (n, t.encode())) for n, t in HOTEL_DOCS.items()]
            await client.post("/v1/knowledge/riads/documents", files=files, headers=hotel)

            async def search(i: int) -> float:
                started = time.perf_counter()
                r = await client.post(
                    "/v1/knowledge/riads/search",
                    json={"query": QUERIES[i % len(QUERIES)]},
                    headers=hotel,
                )
                assert r.status_code == 200, r.text
                return time.perf_counter() - started

            for i in range(5):  # warm-up
                await search(i)
            idle = [await search(i) for i in range(args.searches)]

            payload = big_text(args.mb)
            started = time.perf_counter()
            r = await client.post(
                "/v1/knowledge/agri/documents?background=true",  # 202 whatever --mb is
                files=[("files", ("notes.md", payload))],
                headers=coop,
            )
            answered = time.perf_counter() - started
            assert r.status_code == 202, r.text
            job = service.jobs.get("agri", r.json()["id"])
            loaded: list[float] = []
            i = 0
            while not job.finished and len(loaded) < args.searches:
                latency = await search(i)
                if not job.finished:
                    loaded.append(latency)
                i += 1
            await service.jobs.wait(job)
            job_s = (job.finished_at or 0) - job.created_at

            result = Result(idle, loaded, answered, job_s, job.report.chunks)
            if priority:
                bomb = bomb_docx(home / "bomb.docx", 60 * 1024 * 1024)
                started = time.perf_counter()
                r = await client.post(
                    "/v1/knowledge/agri/documents",
                    files=[("files", ("bomb.docx", bomb.read_bytes()))],
                    headers=coop,
                )
                result.bomb = (bomb.stat().st_size / 1e3, time.perf_counter() - started,
                               r.json()["files"][0]["reason"])  # fmt: skip
    return result


async def main(args: argparse.Namespace) -> None:
    baseline = await scenario(args, priority=False)
    now = await scenario(args, priority=True)
    print(f"big upload: {args.mb:.2f} MB of text; up to {args.searches} searches per phase\n")
    print("| configuration | chunks | upload answered (ms) | job (s) | idle p50 / p95 (ms) "
          "| during the job p50 / p95 (ms) | searches during | p50 ratio |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in (("baseline: jobs, no query priority, batches of 32", baseline),
                    ("now: query priority, batches of 4", now)):  # fmt: skip
        ratio = statistics.median(r.loaded) / statistics.median(r.idle) if r.loaded else 0.0
        print(
            f"| {name} | {r.chunks} | {r.answered * 1000:.0f} | {r.job_s:.1f} | {ms(r.idle)} "
            f"| {ms(r.loaded)} | {len(r.loaded)} | {ratio:.2f} |"
        )
    if now.bomb is not None:
        size_kb, seconds, reason = now.bomb
        print(f"\nbomb: {size_kb:.0f} KB DOCX holding 60 MB of text refused in "
              f"{seconds * 1000:.0f} ms: {reason[:100]}...")  # fmt: skip


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values) * 1000:.0f} / {pct(values, 0.95) * 1000:.0f}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0, help="Size of the big upload (MB).")
    parser.add_argument("--searches", type=int, default=40)
    asyncio.run(main(parser.parse_args()))
