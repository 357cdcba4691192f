"""Read a file as committed on a git ref: how the benches put main's code or artefact beside
the working tree's in the same run (a same-run baseline is the only fair one on a shared host).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def committed_file(ref: str, path: str) -> bytes | None:
    """The bytes of ``path`` (relative to the repository root) on ``ref``, or None when git or
    the file at that ref is missing."""
    try:
        return subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=ROOT, check=True, capture_output=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
