"""`agadir corpus build` as a user sees it: one progress display, the log lines in a file;
the datacard's language chart is grouped bars."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agadir.corpus.datacard import language_chart
from tests.corpus.conftest import write_recipe


def test_build_keeps_the_terminal_quiet_and_logs_to_the_run_folder(
    tmp_path: Path, small_inputs: Path
) -> None:
    out = tmp_path / "out"
    recipe = write_recipe(tmp_path / "r.yaml", small_inputs, out)
    result = subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", "corpus", "build", str(recipe), "--workers", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "AGADIR_HOME": str(tmp_path / "home")},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    log = out / "logs" / "console.log"
    logged = log.read_text(encoding="utf-8").splitlines()
    assert sum("Launching pipeline" in line for line in logged) >= 4  # every task logged there
    assert "Launching pipeline" not in result.stderr and "| INFO" not in result.stderr
    assert len(result.stderr.splitlines()) <= 5, result.stderr  # the progress display only
    assert "datacard" in result.stderr
    assert "console.log" in result.stdout  # says where the details are
    assert json.loads((out / "datacard.json").read_text())["final"]


def test_language_chart_is_grouped_bars_one_per_step() -> None:
    card = {
        "steps": {
            "read": {"all": {"docs": 30}},
            "ingested": {"ary_Arab": {"docs": 10}, "fra_Latn": {"docs": 20}},
            "filtered": {"ary_Arab": {"docs": 9}, "fra_Latn": {"docs": 20}},
            "deduped": {"ary_Arab": {"docs": 8}, "fra_Latn": {"docs": 19}},
        }
    }
    ax = language_chart(card).axes[0]
    assert not ax.lines, "categories are not a sequence: no line chart"
    assert [c.get_label() for c in ax.containers] == ["ingested", "filtered", "deduped"]
    heights = [[bar.get_height() for bar in c] for c in ax.containers]
    assert heights == [[10, 20], [9, 20], [8, 19]]
    xs = [bar.get_x() for c in ax.containers for bar in c]
    assert len(set(xs)) == 6, "bars side by side, none hidden under another"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ary_Arab", "fra_Latn"]
