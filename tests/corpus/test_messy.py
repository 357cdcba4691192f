"""The demo generator: deterministic, valid planted PII at the recorded spans, real duplicates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from agadir.corpus.runner import RunOptions, for_size
from agadir.lang.pii import find_pii

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from make_messy_corpus import generate, write


def test_generator_is_deterministic_and_truth_is_checkable(
    tmp_path: Path, shared_data: None
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    counts = write(generate(600, 11), a, 6, 11)
    write(generate(600, 11), b, 6, 11)
    files = sorted(p.name for p in (a / "jsonl").iterdir())
    assert len(files) == 6
    assert all((a / "jsonl" / f).read_bytes() == (b / "jsonl" / f).read_bytes() for f in files)
    truth = [json.loads(x) for x in (a / "truth.jsonl").read_text().splitlines()]
    assert len(truth) == counts["docs"] == 600
    texts = {}
    for f in files:
        for raw in (a / "jsonl" / f).read_bytes().splitlines():
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            texts[row["id"]] = row["text"]
    kinds = {r["kind"] for r in truth}
    assert {"original", "exact", "junk"} <= kinds and any(k.startswith("near_") for k in kinds)
    assert len({r["language"] for r in truth}) >= 7
    planted = [(r, s) for r in truth if r["id"] in texts for s in r["pii"]]
    assert len({s["type"] for _, s in planted}) == 6, "every PII type is planted"
    for r, s in planted:
        assert texts[r["id"]][s["start"] : s["end"]] == s["value"]
        found = find_pii(texts[r["id"]])
        assert any(m.type.value == s["type"] and m.start <= s["start"] < m.end for m in found), s
    exact = [r for r in truth if r["kind"] == "exact" and r["id"] in texts]
    originals = {r["group"]: r["id"] for r in truth if r["kind"] == "original" and r["group"]}
    assert exact and all(
        texts[r["id"]] == texts.get(originals[r["group"]], texts[r["id"]]) for r in exact
    )


def test_small_languages_run_in_process_on_the_local_executor() -> None:
    opts = RunOptions(workers=2, small_stage_bytes=1000)
    assert for_size(opts, 999).workers == 1
    assert for_size(opts, 1000).workers == 2
    assert for_size(RunOptions(executor="ray", workers=2), 10).workers == 2
