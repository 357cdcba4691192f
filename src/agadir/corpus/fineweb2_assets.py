"""FineWeb-2's per-language thresholds and Darija word list, as packaged with Agadir.

`agadir corpus build` must work from a plain install, so the part of FineWeb-2 we use (the
quality and repetition thresholds of the configs our labels map to, and the 85%-precision
``ary_Arab`` word list; Apache-2.0, attribution in ``fineweb2/NOTICE.md``) ships inside this
package, rebuilt by ``scripts/build_fineweb2_assets.py`` from a FineWeb-2 checkout, as the LID
model is. A recipe may still point `quality.fineweb2_dir` at another checkout; this module
only serves the packaged copy and says how to rebuild it when it is missing.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from agadir.corpus.errors import RecipeError

FOLDER = "fineweb2"
THRESHOLDS = "thresholds.json"
DARIJA_WORDLIST = "ary_Arab.txt"
_REBUILD = "reinstall agadir, or rebuild it with `python scripts/build_fineweb2_assets.py`"


def packaged_path(name: str) -> Path:
    """The installed file `name` of the packaged folder (a real file: wheels install unzipped)."""
    path = Path(str(resources.files("agadir.corpus").joinpath(FOLDER, name)))
    if not path.is_file():
        raise RecipeError(f"the packaged FineWeb-2 file {path} is missing: {_REBUILD}")
    return path


@cache
def packaged_configs() -> dict[str, dict[str, Any]]:
    """Config name (``ary_Arab``) -> the FineWeb-2 thresholds we read, as in its YAML."""
    path = packaged_path(THRESHOLDS)
    try:
        configs: dict[str, dict[str, Any]] = json.loads(path.read_text("utf-8"))["configs"]
    except (ValueError, KeyError) as exc:
        raise RecipeError(f"the packaged FineWeb-2 file {path} is corrupt: {_REBUILD}") from exc
    return configs


def packaged_config(name: str) -> dict[str, Any]:
    configs = packaged_configs()
    if name not in configs:
        raise RecipeError(
            f"no packaged FineWeb-2 config {name!r} (packaged: {', '.join(sorted(configs))}); "
            "set quality.fineweb2_dir in the recipe to a FineWeb-2 checkout that has it"
        )
    return configs[name]
