"""The `tune` extra's presence check, importable without the extra itself (no yaml, no torch)."""

from __future__ import annotations

import importlib.util

from agadir.tune.errors import INSTALL_HINT, TuneUnavailableError

REQUIRED = ("torch", "transformers", "trl", "peft", "datasets", "yaml")


def require_tune_extra() -> None:
    """Fail with the install command, not a ModuleNotFoundError, when the extra is missing."""
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        raise TuneUnavailableError(
            f"`agadir tune` needs the tune extra ({', '.join(missing)} missing): {INSTALL_HINT}"
        )
