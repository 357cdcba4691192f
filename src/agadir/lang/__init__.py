"""Moroccan language tools: identification, normalisation, transliteration, fertility.

Pure functions over text. Models (LID weights, the transliteration LM) are packaged artefacts
loaded lazily on first use and cached per process; importing this package builds nothing.
Submodules are imported on first attribute access, so ``import agadir.lang`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agadir.lang.arabizi import arabizi_to_arabic
    from agadir.lang.arabizi_reverse import arabic_to_arabizi
    from agadir.lang.errors import LangInputError, LangModelError
    from agadir.lang.labels import LABELS, UND
    from agadir.lang.lid import identify, identify_batch
    from agadir.lang.normalization import (
        normalize,
        normalize_arabic,
        normalize_arabizi,
        normalize_tifinagh,
    )
    from agadir.lang.segmentation import Segment, segments
    from agadir.lang.tifinagh import latin_to_tifinagh, tifinagh_to_latin

__all__ = [
    "LABELS",
    "UND",
    "LangInputError",
    "LangModelError",
    "Segment",
    "arabic_to_arabizi",
    "arabizi_to_arabic",
    "identify",
    "identify_batch",
    "latin_to_tifinagh",
    "normalize",
    "normalize_arabic",
    "normalize_arabizi",
    "normalize_tifinagh",
    "segments",
    "tifinagh_to_latin",
]

_WHERE = {
    "LABELS": "labels",
    "UND": "labels",
    "LangInputError": "errors",
    "LangModelError": "errors",
    "Segment": "segmentation",
    "segments": "segmentation",
    "arabic_to_arabizi": "arabizi_reverse",
    "arabizi_to_arabic": "arabizi",
    "identify": "lid",
    "identify_batch": "lid",
    "latin_to_tifinagh": "tifinagh",
    "tifinagh_to_latin": "tifinagh",
    "normalize": "normalization",
    "normalize_arabic": "normalization",
    "normalize_arabizi": "normalization",
    "normalize_tifinagh": "normalization",
}


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first access (PEP 562)."""
    if name in _WHERE:
        return getattr(importlib.import_module(f"agadir.lang.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'agadir.lang' has no attribute {name!r}")
