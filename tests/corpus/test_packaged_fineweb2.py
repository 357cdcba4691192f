"""The FineWeb-2 thresholds and word list ship with the package, and a build reads only those.

A wheel install has no development checkout beside it: `agadir corpus build` is run here from
an unrelated working directory with every read of the shared FineWeb-2 copy refused, and must
still build, from the packaged files. The packaged files must also be exactly what
`scripts/build_fineweb2_assets.py` derives from the shared copy (nobody edits them by hand).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agadir.corpus.fineweb2_assets import DARIJA_WORDLIST, THRESHOLDS, packaged_path
from agadir.corpus.quality import LABEL_SOURCES, settings_for
from tests.corpus.conftest import FINEWEB2, write_recipe

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ("NOTICE.md", THRESHOLDS, DARIJA_WORDLIST)

# Runs the CLI with an audit hook: any open() under the shared FineWeb-2 copy raises, and every
# FineWeb-2 file actually opened is logged, so the test can say which copy the build read.
_GUARDED_CLI = """
import os, sys
forbidden, log_path, recipe = sys.argv[1:4]
log = open(log_path, "w", encoding="utf-8")

def guard(event, args):
    if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.fsdecode(os.fspath(args[0]))
    if os.path.abspath(path).startswith(forbidden):
        raise PermissionError(f"the build read the development copy: {path}")
    if "/fineweb2/" in path:
        log.write(path + "\\n")
        log.flush()

sys.addaudithook(guard)
from agadir.cli.main import main
sys.argv = ["agadir", "corpus", "build", recipe, "--workers", "1"]
main()
"""


def test_the_packaged_files_are_what_the_script_builds(tmp_path: Path, shared_data: None) -> None:
    out = tmp_path / "rebuilt"
    script = ROOT / "scripts" / "build_fineweb2_assets.py"
    done = subprocess.run(
        [sys.executable, str(script), "--data", str(FINEWEB2), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in PACKAGED:
        assert (out / name).read_bytes() == packaged_path(name).read_bytes(), (
            f"{name} is stale: run `python scripts/build_fineweb2_assets.py`"
        )


@pytest.mark.parametrize("label", sorted(LABEL_SOURCES))
def test_packaged_settings_equal_the_checkouts(label: str, shared_data: None) -> None:
    assert settings_for(label) == settings_for(label, FINEWEB2 / "configs")


def test_attribution_names_source_commit_and_licence() -> None:
    notice = packaged_path("NOTICE.md").read_text(encoding="utf-8")
    assert "huggingface/fineweb-2" in notice and "Apache License 2.0" in notice
    meta = json.loads(packaged_path(THRESHOLDS).read_text(encoding="utf-8"))
    assert meta["licence"] == "Apache-2.0" and len(meta["commit"]) == 40


def test_build_from_a_plain_install_reads_only_packaged_files(
    tmp_path: Path, small_inputs: Path
) -> None:
    elsewhere = tmp_path / "cwd"  # `../shared/data/fineweb2` from here does not exist
    elsewhere.mkdir()
    recipe = write_recipe(tmp_path / "r.yaml", small_inputs, tmp_path / "out")
    assert "fineweb2" not in recipe.read_text()
    log = tmp_path / "opened.txt"
    env = {k: v for k, v in os.environ.items() if k != "AGADIR_FINEWEB2_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", _GUARDED_CLI, str(FINEWEB2.resolve()), str(log), str(recipe)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    opened = set(log.read_text(encoding="utf-8").splitlines())
    assert {Path(p).name for p in opened} == {THRESHOLDS, DARIJA_WORDLIST}, opened
    assert all(Path(p).parent == packaged_path(THRESHOLDS).parent for p in opened), opened
    card = json.loads((tmp_path / "out" / "datacard.json").read_text(encoding="utf-8"))
    assert card["final"]["ary_Arab"]["docs"] > 0  # quality and precision ran, and kept text
