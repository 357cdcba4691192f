"""The datacard of a build: what went in, what came out, what was removed and why.

Everything is read back from datatrove's merged ``stats.json`` of each stage (so it is the same
on every executor) and from the bad-input issue files. ``datacard.json`` is the machine form
(for a CNDP declaration or a model card generator), ``datacard.md`` the human one, and
``corpus_*.png`` plots sit next to them. No document text is copied into the datacard.
"""

from __future__ import annotations

import json
import re
import struct
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from agadir.corpus.recipe import Recipe
from agadir.corpus.stages import Layout, pipeline_version

POINTS = ("read", "lid", "filtered", "ingested", "exact_dedup", "near_dedup")


def _total(value: Any) -> int:
    return int(value["total"]) if isinstance(value, dict) else int(value)


def load_stats(logs: Path) -> dict[str, int]:
    """All counters of one stage, summed over steps (step names are not needed here)."""
    path = logs / "stats.json"
    if not path.is_file():
        return {}
    out: Counter[str] = Counter()
    for step in json.loads(path.read_text(encoding="utf-8")):
        for key, value in step.get("stats", {}).items():
            if key.startswith(("dropped_", "bad_input/", "pii/", "licence/", "cluster_size/")) or (
                key.count("/") == 2 and key.split("/")[0] in POINTS
            ):
                out[key] += _total(value)
    return dict(out)


def cluster_histogram(layout: Layout, lang: str) -> dict[str, int]:
    """Clusters per size from MinHash stage 3's ``.sizes`` files (one (doc, size) per member).

    Read from the files rather than from document metadata: datatrove's filter skips loading
    sizes on ranks that have nothing to remove, so metadata misses some clusters.
    """
    members: Counter[int] = Counter()
    for f in sorted((layout.root / "work" / "minhash" / lang / "remove").glob("*.sizes")):
        for _doc, size in struct.iter_unpack("<2I", f.read_bytes()):
            members[size] += 1
    return {str(s): n // s for s, n in sorted(members.items()) if s > 1}


def _issues(layout: Layout) -> list[dict[str, Any]]:
    folder = Path(layout.issues())
    items: list[dict[str, Any]] = []
    for f in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        items += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line]
    return items


def collect(recipe: Recipe, layout: Layout, langs: list[str]) -> dict[str, Any]:
    """Gather every figure of the datacard into one JSON-ready dict."""
    stats: Counter[str] = Counter(load_stats(layout.logs("ingest")))
    for lang in langs:
        stats.update(load_stats(layout.logs(f"write/{lang}")))
    steps: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for key, n in stats.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] in POINTS:
            steps[parts[0]].setdefault(parts[1], {})[parts[2]] = n
    removed: Counter[str] = Counter()
    for key, n in stats.items():
        if key.startswith("dropped_"):
            removed[key.removeprefix("dropped_")] += n
    for lang in langs:
        counts = steps.get("ingested", {}).get(lang, {}).get("docs", 0)
        after_exact = steps.get("exact_dedup", {}).get(lang, {}).get("docs", counts)
        after_near = steps.get("near_dedup", {}).get(lang, {}).get("docs", after_exact)
        if counts - after_exact:
            removed[f"{lang}:exact_duplicate"] += counts - after_exact
        if after_exact - after_near:
            removed[f"{lang}:near_duplicate"] += after_exact - after_near
    clusters = {lang: cluster_histogram(layout, lang) for lang in langs}
    licences = {k.removeprefix("licence/"): n for k, n in stats.items() if k.startswith("licence/")}
    lic_total = sum(licences.values()) or 1
    issues = _issues(layout)
    final = (
        "near_dedup"
        if recipe.dedup.minhash
        else "exact_dedup"
        if recipe.dedup.exact
        else "ingested"
    )
    return {
        "name": recipe.name,
        "pipeline": pipeline_version(recipe),
        "recipe": json.loads(recipe.model_dump_json()),
        "languages": langs,
        "final": steps.get(final, {}),
        "steps": {p: steps[p] for p in POINTS if p in steps},
        "removed": dict(sorted(removed.items())),
        "licences": {k: {"docs": n, "share": round(n / lic_total, 4)} for k, n in licences.items()},
        "pii": {
            k.removeprefix("pii/"): n for k, n in sorted(stats.items()) if k.startswith("pii/")
        },
        "dedup_clusters": {
            lang: dict(sorted(h.items(), key=lambda kv: int(kv[0]))) for lang, h in clusters.items()
        },
        "bad_input": dict(Counter(i["kind"] for i in issues)),
        "bad_input_examples": issues[:50],
    }


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(card: dict[str, Any]) -> str:
    """The human datacard."""
    out = [f"# Datacard: {card['name']}", "", f"Pipeline: `{card['pipeline']}`", ""]
    out += ["## Final corpus", ""]
    out.append(
        _table(
            ["language", "documents", "words", "bytes"],
            [
                [k, v.get("docs", 0), v.get("words", 0), v.get("bytes", 0)]
                for k, v in sorted(card["final"].items())
            ],
        )
    )
    out += ["", "## Documents per language at each step", ""]
    langs = sorted({lang for point in card["steps"].values() for lang in point})
    rows = [
        [p, *[card["steps"][p].get(lang, {}).get("docs", "") for lang in langs]]
        for p in card["steps"]
    ]
    out += [_table(["step", *langs], rows), "", "## Removed, by reason", ""]
    out += [_table(["reason", "documents"], [[k, v] for k, v in card["removed"].items()])]
    out += ["", "## Licences", ""]
    out += [
        _table(
            ["licence", "documents", "share"],
            [[k, v["docs"], f"{v['share']:.1%}"] for k, v in card["licences"].items()],
        )
    ]
    out += ["", "## PII found (masked or dropped)", ""]
    out += [_table(["type", "count"], [[k, v] for k, v in card["pii"].items()])]
    out += ["", "## Near-duplicate clusters (size: clusters)", ""]
    out += [
        _table(
            ["language", "histogram"],
            [
                [k, ", ".join(f"{s}: {n}" for s, n in h.items())]
                for k, h in card["dedup_clusters"].items()
            ],
        )
    ]
    out += ["", "## Bad input", ""]
    out += [_table(["kind", "count"], [[k, v] for k, v in card["bad_input"].items()])]
    out += ["", "First reported items (file, line):", ""]
    out += [
        f"- `{i['kind']}` {i['file']}:{i['line']} {i['detail']}"
        for i in card["bad_input_examples"][:20]
    ]
    out += ["", "![per language](corpus_languages.png) ![removals](corpus_removed.png)", ""]
    return "\n".join(out)


def language_chart(card: dict[str, Any]) -> Any:
    """Documents per language after each step, as grouped bars (one group per language, one
    bar per step). Why bars: languages are categories, not a sequence, and with lines a step
    that removes little (filtered ≈ ingested) hid under the other; side by side both show."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    langs = sorted({lang for point in card["steps"].values() for lang in point if lang != "all"})
    steps = [p for p in card["steps"] if p != "read"]
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(langs)), 4))
    x = np.arange(len(langs))
    width = 0.8 / max(len(steps), 1)
    for i, step in enumerate(steps):
        counts = [card["steps"][step].get(lang, {}).get("docs", 0) for lang in langs]
        ax.bar(x + (i - (len(steps) - 1) / 2) * width, counts, width, label=step)
    ax.set_xticks(x, langs)
    ax.set_ylabel("documents")
    ax.set_title("Documents per language after each step")
    ax.legend()
    fig.tight_layout()
    return fig


def _plots(card: dict[str, Any], root: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = language_chart(card)
    fig.savefig(root / "corpus_languages.png", dpi=100)
    plt.close(fig)
    reasons = Counter({re.sub(r"^[a-z]{3}_[A-Za-z]{4}:", "", k): 0 for k in card["removed"]})
    for k, v in card["removed"].items():
        reasons[re.sub(r"^[a-z]{3}_[A-Za-z]{4}:", "", k)] += v
    fig, ax = plt.subplots(figsize=(8, 4))
    items = reasons.most_common(15)
    ax.barh([k for k, _ in items][::-1], [v for _, v in items][::-1])
    ax.set_xlabel("documents removed")
    ax.set_title("Removals by reason (all languages)")
    fig.tight_layout()
    fig.savefig(root / "corpus_removed.png", dpi=100)
    plt.close(fig)


def write_datacard(recipe: Recipe, layout: Layout, langs: list[str]) -> dict[str, Any]:
    """Write datacard.json, datacard.md and the PNG plots under the output folder."""
    card = collect(recipe, layout, langs)
    (layout.root / "datacard.json").write_text(
        json.dumps(card, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    (layout.root / "datacard.md").write_text(render_markdown(card), encoding="utf-8")
    _plots(card, layout.root)
    return card
