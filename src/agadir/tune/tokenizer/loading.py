"""The base tokenizer alone (no weights): what `tokenizer extend --tokenizer-only` needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agadir.tune.base import locate
from agadir.tune.errors import BaseModelError


def load_base_tokenizer(base: str, models_dir: Path | None) -> Any:
    """The tokenizer ``agadir.tune.base.load_base`` would load for ``base``."""
    from transformers import AutoTokenizer

    source, kind = locate(base, models_dir)
    try:
        if kind == "gguf":
            assert isinstance(source, Path)
            return AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        return AutoTokenizer.from_pretrained(str(source))
    except (OSError, ValueError, KeyError) as exc:
        raise BaseModelError(f"cannot load the tokenizer of {base!r} from {source}: {exc}") from exc
