"""Corpus builder: throughput against plain datatrove, and quality on planted truth.

Why: the corpus builder adds our steps (normalise, Moroccan LID, PII, provenance, per-language
quality, precision, exact dedup) to datatrove. The issue asks what they cost next to the same
datatrove pipeline without them, and whether the output is right on a corpus whose truth we
planted (``bench/make_messy_corpus.py``).

Modes, each a fresh output folder, on the local executor with ``--workers`` processes:
- ``ingest/ours``: SafeReader → normalise → LID → PII → provenance → writer per language;
- ``ingest/datatrove``: datatrove's JsonlReader → JsonlWriter (same files);
- ``full/ours``: ``agadir corpus build`` of the demo recipe (all stages, all languages);
- ``full/datatrove``: JsonlReader → Gopher repetition + Gopher quality + FineWeb quality
  (datatrove defaults, minus the English stop-word rule, which would drop every non-English
  page) → MinHash (signature, buckets, cluster, filter) → writer.
``kept`` (documents in ``data/``) is printed so that a baseline which drops more documents
early, and so dedups fewer, is visible.
Throughput is input documents (and input MB) per wall second, median of ``--runs``.
Quality comes from the ``full/ours`` output: near-duplicate recall/precision over the
documents that reached dedup, PII recall over planted values in documents that were masked,
routing accuracy over every labelled document.

Usage: ``python bench/bench_corpus.py --docs 20000 --files 80 --runs 3``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_messy_corpus import generate, write

from agadir.corpus import RunOptions, build, load_recipe
from agadir.corpus.runner import make_executor
from agadir.corpus.stages import Layout, Stage, ingest_stage
from agadir.corpus.words import RegexWordTokenizer

FINEWEB2 = Path(__file__).resolve().parents[2] / "shared" / "data" / "fineweb2"
LANGS = "[ary_Arab, ary_Latn, arb_Arab, fra_Latn, zgh_Tfng, ber_Latn]"


def recipe_yaml(inputs: Path, out: Path, tasks: int, full: bool) -> str:
    """The demo recipe's settings; without quality/precision for the ingest-only mode."""
    if full:
        extra = f"quality: {{fineweb2_dir: {FINEWEB2}}}\n"
    else:
        extra = "quality: {enabled: false}\nprecision: {enabled: false}\n"
    return f"""name: bench
inputs:
  - {{name: messy, path: {inputs}, format: jsonl, licence: CC-BY-SA-4.0, consent: true}}
languages: {LANGS}
min_language_score: 0.5
pii: mask
{extra}output: {{path: {out}}}
tasks: {tasks}
"""


def run_stages(stages: list[Stage], root: Path, workers: int) -> None:
    layout = Layout(root)
    for stage in stages:
        make_executor(stage, layout.logs(stage.name), RunOptions(workers=workers)).run()


def ours_ingest(inputs: Path, out: Path, tasks: int, workers: int) -> None:
    path = out.parent / f"{out.name}.yaml"
    path.write_text(recipe_yaml(inputs, out, tasks, full=False), encoding="utf-8")
    recipe = load_recipe(path)
    run_stages([ingest_stage(recipe, Layout(out))], out, workers)


def ours_full(inputs: Path, out: Path, tasks: int, workers: int) -> None:
    path = out.parent / f"{out.name}.yaml"
    path.write_text(recipe_yaml(inputs, out, tasks, full=True), encoding="utf-8")
    build(load_recipe(path), RunOptions(workers=workers))


def dt_ingest(inputs: Path, out: Path, tasks: int, workers: int) -> None:
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    steps = [JsonlReader(str(inputs)), JsonlWriter(str(out / "data"))]
    run_stages([Stage("ingest", steps, tasks)], out, workers)


def dt_full(inputs: Path, out: Path, tasks: int, workers: int) -> None:
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.filters import (
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    tok = RegexWordTokenizer("fra_Latn")  # datatrove's default tokenizers need nltk downloads
    cfg = MinhashConfig(hash_config=HashConfig(precision=64))
    mid, mh = out / "work" / "filtered", out / "work" / "minhash"
    stages = [
        Stage(
            "filter",
            [
                JsonlReader(str(inputs)),
                GopherRepetitionFilter(language=tok),
                # no language is known without LID: the stop-word rule (English list) is off
                GopherQualityFilter(min_stop_words=None, language=tok),
                FineWebQualityFilter(language=tok),
                JsonlWriter(str(mid)),
            ],
            tasks,
        ),
        Stage(
            "sig",
            [JsonlReader(str(mid)), MinhashDedupSignature(str(mh / "s"), config=cfg, language=tok)],
            tasks,
        ),
        Stage("buckets", [MinhashDedupBuckets(str(mh / "s"), str(mh / "b"), config=cfg)], 14),
        Stage("cluster", [MinhashDedupCluster(str(mh / "b"), str(mh / "r"), config=cfg)], 1),
        Stage(
            "write",
            [
                JsonlReader(str(mid)),
                MinhashDedupFilter(str(mh / "r")),
                JsonlWriter(str(out / "data")),
            ],
            tasks,
        ),
    ]
    run_stages(stages, out, workers)


Mode = Callable[[Path, Path, int, int], None]
MODES: dict[str, Mode] = {
    "ingest/ours": ours_ingest,
    "ingest/datatrove": dt_ingest,
    "full/ours": ours_full,
    "full/datatrove": dt_full,
}


def rows(folder: Path) -> Iterator[dict[str, Any]]:
    """Documents of every JSONL file under ``folder`` (work files are plain, outputs gzipped)."""
    for f in sorted([*folder.rglob("*.jsonl.gz"), *folder.rglob("*.jsonl")]):
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


def quality(out: Path, truth_path: Path) -> dict[str, float]:
    """Routing, near-duplicate and PII scores of a ``full/ours`` output against the truth."""
    truth = {r["id"]: r for r in map(json.loads, truth_path.read_text().splitlines())}
    labelled: dict[str, str] = {}
    texts: dict[str, str] = {}
    for sub in ("work/ingest", "removed/lid", "removed/quality", "removed/precision"):
        for d in rows(out / sub):
            labelled[d["id"]] = d["metadata"].get("language", "")
            if sub != "removed/lid":
                texts[d["id"]] = d["text"]
    scored = [i for i in labelled if truth[i]["language"] != "junk"]
    routing = sum(labelled[i] == truth[i]["language"] for i in scored) / len(scored)
    reached = {d["id"] for d in rows(out / "work/ingest")}
    removed = {d["id"] for sub in ("exact", "near") for d in rows(out / "removed" / sub)}
    groups: dict[str, list[str]] = defaultdict(list)
    for i in reached:
        if truth[i]["group"]:
            groups[truth[i]["group"]].append(i)
    expected = sum(len(m) - 1 for m in groups.values())
    tp = sum(min(len(removed & set(m)), len(m) - 1) for m in groups.values())
    fp = len(removed) - tp
    planted = hit = 0
    missed: Counter[str] = Counter()
    for i, text in texts.items():
        for span in truth[i]["pii"]:
            planted += 1
            ok = span["value"] not in text and f"[{span['type']}]" in text
            hit += ok
            missed[span["type"]] += not ok
    return {
        "routing_accuracy": round(routing, 4),
        "routed_docs": len(scored),
        "near_dup_recall": round(tp / max(expected, 1), 4),
        "near_dup_precision": round(tp / max(tp + fp, 1), 4),
        "dup_pairs_expected": expected,
        "pii_recall": round(hit / max(planted, 1), 4),
        "pii_planted": planted,
        "pii_missed": dict(+missed),
    }


def plot(med: dict[str, float], docs: int, path: Path) -> None:
    """Bar chart of documents/s per mode (ours next to plain datatrove)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    names = list(med)
    rates = [docs / med[m] for m in names]
    colors = ["#c0392b" if m.endswith("/ours") else "#7f8c8d" for m in names]
    ax.barh(names, rates, color=colors)
    for y, r in enumerate(rates):
        ax.text(r, y, f" {r:,.0f}", va="center", fontsize=8)
    ax.set_xlabel("documents / s (2 cores, median)")
    ax.set_title(f"Corpus builder vs plain datatrove, {docs:,} messy docs", fontsize=9)
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--files", type=int, default=80)
    ap.add_argument("--tasks", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--work", type=Path, default=Path("bench/out/bench-corpus"))
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--png", type=Path, default=None)
    args = ap.parse_args(argv)
    messy = args.work / "messy"
    write(generate(args.docs, 2026), messy, args.files, 2026)
    inputs = messy / "jsonl"
    mb = sum(f.stat().st_size for f in inputs.iterdir()) / 1e6
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"{args.docs} docs, {mb:.1f} MB, {args.files} files, load before: {load}", flush=True)
    times: dict[str, list[float]] = {m: [] for m in args.modes.split(",")}
    kept: dict[str, int] = {}
    for r in range(args.runs):
        for mode in times:  # interleaved, so load drifts hit every mode alike
            out = args.work / mode.replace("/", "-")
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            t0 = time.perf_counter()
            MODES[mode](inputs.resolve(), out.resolve(), args.tasks, args.workers)
            times[mode].append(time.perf_counter() - t0)
            kept[mode] = sum(1 for _ in rows(out / "data")) if mode != "ingest/ours" else -1
            print(f"run {r + 1} {mode}: {times[mode][-1]:.1f} s", flush=True)
    med = {m: statistics.median(t) for m, t in times.items()}
    print("\n| mode | median s | docs/s | MB/s | kept | runs |\n|---|---:|---:|---:|---:|---:|")
    for m, s in med.items():
        k = "-" if kept[m] < 0 else f"{kept[m]:,}"
        print(f"| {m} | {s:.1f} | {args.docs / s:,.0f} | {mb / s:.2f} | {k} | {len(times[m])} |")
    if args.png:
        plot(med, args.docs, args.png)
    result: dict[str, Any] = {"docs": args.docs, "mb": round(mb, 2), "median_s": med, "kept": kept}
    for kind in ("ingest", "full"):
        if f"{kind}/ours" in med and f"{kind}/datatrove" in med:
            ratio = med[f"{kind}/ours"] / med[f"{kind}/datatrove"]
            result[f"{kind}_cost_ratio"] = round(ratio, 3)
            print(f"\n{kind}: ours / datatrove wall time = {ratio:.2f}")
    if "full/ours" in med:
        q = quality(args.work / "full-ours", messy / "truth.jsonl")
        result["quality"] = q
        print("\n| quality | value | target |\n|---|---:|---:|")
        targets = {
            "near_dup_recall": ">= 0.95",
            "near_dup_precision": ">= 0.99",
            "pii_recall": ">= 0.98",
            "routing_accuracy": ">= 0.97",
        }
        for k, t in targets.items():
            print(f"| {k} | {q[k]} | {t} |")
        print(json.dumps(q))
    result["load_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
