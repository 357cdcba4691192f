"""End-to-end builds: routing, dedup, PII, datacard, CLI, and resume after a kill."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from agadir.cli.corpus import app
from agadir.corpus import RunOptions, build, load_recipe
from tests.corpus.conftest import write_recipe


def corpus_rows(out: Path) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for f in sorted((out / "data").rglob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            rows[str(f.relative_to(out))] = [line for line in fh]
    return rows


def test_build_routes_dedups_masks_and_writes_datacard(tmp_path: Path, small_inputs: Path) -> None:
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", small_inputs, tmp_path / "out"))
    out = build(recipe, RunOptions(workers=1))
    card = json.loads((out / "datacard.json").read_text())
    docs = [json.loads(r) for rows in corpus_rows(out).values() for r in rows]
    ids = {d["metadata"]["doc"] for d in docs}
    assert 40 not in ids and 41 not in ids, "exact duplicates must go"
    assert 42 not in ids or 5 not in ids, "near duplicate pair must lose one"
    assert 43 not in ids or 6 not in ids
    routed = [d["metadata"]["language"] == d["metadata"]["truth"] for d in docs]
    assert sum(routed) / len(routed) >= 0.97
    masked = [d for d in docs if d["metadata"]["doc"] == 10]
    assert masked and "0612345678" not in masked[0]["text"] and "[PHONE]" in masked[0]["text"]
    assert all(len(d["metadata"]["sha256"]) == 64 and d["metadata"]["consent"] for d in docs)
    assert card["pii"]["PHONE"] == 1 and card["pii"]["EMAIL"] == 1
    assert card["bad_input"] == {"malformed_json": 1, "empty_document": 1}
    assert card["licences"]["CC-BY-SA-4.0"]["share"] == 1.0
    assert sum(v for k, v in card["removed"].items() if k.endswith("exact_duplicate")) == 2
    assert sum(v for k, v in card["removed"].items() if k.endswith("near_duplicate")) == 2
    sizes = {s for h in card["dedup_clusters"].values() for s in h}
    assert sizes == {"2"}
    assert sum(v["docs"] for v in card["final"].values()) == len(docs)
    assert (out / "datacard.md").read_text().startswith("# Datacard: test")
    assert (out / "corpus_languages.png").stat().st_size > 1000
    shown = CliRunner().invoke(app, ["inspect", str(out), "--samples", "1"])
    assert shown.exit_code == 0 and "ary_Arab" in shown.output and "exact" in shown.output


def test_killed_run_resumes_to_identical_output(tmp_path: Path, small_inputs: Path) -> None:
    ref = load_recipe(write_recipe(tmp_path / "ref.yaml", small_inputs, tmp_path / "ref"))
    build(ref, RunOptions(workers=1))
    recipe_path = write_recipe(tmp_path / "r.yaml", small_inputs, tmp_path / "out")
    # The child holds still right after its first ingest task is marked complete (tasks run in
    # order in one process with workers=1), so the kill lands there on any machine: waiting for
    # the marker and killing "soon after" let a fast machine finish every task first.
    code = (
        "import time; from pathlib import Path\n"
        "from datatrove.executor.base import PipelineExecutor\n"
        "from agadir.corpus import RunOptions, build, load_recipe\n"
        "mark = PipelineExecutor.mark_rank_as_completed\n"
        "def mark_then_hold(self, rank):\n"
        "    mark(self, rank)\n"
        "    time.sleep(3600)\n"
        "PipelineExecutor.mark_rank_as_completed = mark_then_hold\n"
        "if __name__ == '__main__':\n"
        f"    build(load_recipe(Path({str(recipe_path)!r})), RunOptions(workers=1))\n"
    )
    proc = subprocess.Popen(  # its own group: datatrove's worker process dies with it
        [sys.executable, "-c", code],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    marker = tmp_path / "out" / "logs" / "ingest" / "completions"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (marker.is_dir() and any(marker.iterdir())):
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(marker.iterdir()))
    assert done_before == 1, "the kill lands after the first ingest task, before the others"
    build(load_recipe(recipe_path), RunOptions(workers=1))
    assert corpus_rows(tmp_path / "out") == corpus_rows(tmp_path / "ref")
    ingest_log = (tmp_path / "out" / "logs" / "ingest" / "logs").iterdir()
    assert len(list(ingest_log)) >= 4
