"""Run every lab's English file as a script; the lab's own asserts are the checks.

Each lab starts its own `agadir serve` (loopback, throw-away AGADIR_HOME) and runs the CLI in
subprocesses; the test suite's network guard reaches them through PYTHONPATH, so a lab that
tried to leave the machine would fail the session. The French and Arabic files share the code
cells (tests/academy/test_structure.py), so running them too would test nothing more:
`make academy ACADEMY_LANGS="en fr ar"` does it on demand.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACADEMY = ROOT / "academy"
# beside the repository, as tests/corpus finds it; AGADIR_SHARED_DATA points elsewhere
SHARED = Path(
    os.environ.get("AGADIR_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
# Labs over CI's time budget run only in `make academy` (academy/README.md says why): lab 5
# trains, merges, converts and quantizes a 135M model, several CPU-minutes on its own.
MAKE_ACADEMY_ONLY = {"lab5_adapt"}
LABS = [
    p for p in sorted(ACADEMY.glob("lab*.en.py")) if p.name.split(".")[0] not in MAKE_ACADEMY_ONLY
]
# a bound for giving up, not an expected duration: each lab takes 0.5-3 minutes on 2 cores
LAB_TIMEOUT_S = 900

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_labs_left_out_of_ci_exist_and_are_named_in_the_readme() -> None:
    readme = (ACADEMY / "README.md").read_text(encoding="utf-8")
    for name in MAKE_ACADEMY_ONLY:
        assert (ACADEMY / f"{name}.en.py").is_file(), f"{name}: no such lab, drop it from the list"
        assert f"{name}.en.py" in readme and "make academy" in readme


@pytest.mark.timeout(LAB_TIMEOUT_S + 60)
@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name.split(".")[0])
def test_lab_runs_and_its_checks_pass(lab: Path, tmp_path: Path) -> None:
    if "shared_data()" in lab.read_text(encoding="utf-8") and not (SHARED / "lid").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing at {SHARED}: CI must run the academy labs")
        pytest.skip(f"{lab.name} reads the shared data, not found at {SHARED}")
    env = {
        **os.environ,
        "AGADIR_SHARED_DATA": str(SHARED),
        "MPLBACKEND": "Agg",
        "TMPDIR": str(tmp_path),  # the lab's folder (server log, files) lands in pytest's tmp
    }
    env.pop("AGADIR_HOME", None)
    env.pop("AGADIR_CONFIG", None)
    # its own process group, so that a lab stopped at the timeout takes its servers with it
    process = subprocess.Popen(
        [sys.executable, str(lab)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=LAB_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"{lab.name} did not finish in {LAB_TIMEOUT_S} s:\n{output[-6000:]}")
    number = lab.name.removeprefix("lab").split("_")[0]
    assert process.returncode == 0, f"{lab.name} failed:\n{output[-6000:]}"
    assert f"lab {number}: all checks passed" in output
