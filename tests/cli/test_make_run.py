"""`make run` leaves host and port to `agadir serve`'s precedence unless given to make."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _serve_line(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The command `make run` would execute (dry run; the install stamp is taken as done)."""
    out = subprocess.run(
        ["make", "-s", "-n", "-f", str(ROOT / "Makefile"), "-o", ".venv/.installed", "run", *args],
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return out.splitlines()[-1].strip()


def test_make_run_passes_no_host_or_port_by_default(tmp_path: Path) -> None:
    """AGADIR_PORT and agadir.toml decide, as docs/configuration.md says; a PORT variable
    that happens to be in the environment is not taken for one."""
    assert _serve_line(tmp_path, env={"PORT": "7", "AGADIR_PORT": "9100"}) == (
        ".venv/bin/agadir serve"
    )


def test_make_run_passes_what_the_make_command_line_gives(tmp_path: Path) -> None:
    assert _serve_line(tmp_path, "PORT=9000") == ".venv/bin/agadir serve --port 9000"
    assert _serve_line(tmp_path, "HOST=0.0.0.0", "PORT=9001") == (
        ".venv/bin/agadir serve --host 0.0.0.0 --port 9001"
    )
