"""Child-process entry: ``python -m agadir.tune.convert_shim SCRIPT ARGS...`` runs a llama.cpp
converter script as its ``__main__``, with one addition.

llama.cpp's converter names a BPE tokenizer's pre-tokenizer by hashing how it encodes a probe
string, and refuses any hash it has not listed, which is every tokenizer trained or extended
here. When ``AGADIR_GGUF_PRE_TOKENIZER`` is set (the parent derives it from tokenizer.json, see
`agadir.tune.export.pre_tokenizer_of`), that name is used *only* for an unrecognised hash; known
tokenizers keep the converter's own answer. Nothing else of the converter is changed.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path
from typing import Any


def _patch_pre_tokenizer(name: str) -> None:
    try:
        from conversion import base  # llama.cpp >= the split of convert_hf_to_gguf.py
    except ImportError:
        return  # older layouts keep the class inside the script itself; no fallback there
    original = base.TextModel.get_vocab_base_pre

    def with_fallback(self: Any, tokenizer: Any) -> str:
        try:
            return str(original(self, tokenizer))
        except NotImplementedError:
            print(f"agadir: unrecognised BPE pre-tokenizer hash, using {name!r}", file=sys.stderr)
            return name

    base.TextModel.get_vocab_base_pre = with_fallback


def main() -> None:
    script = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(script.parent))
    pre = os.environ.get("AGADIR_GGUF_PRE_TOKENIZER")
    if pre:
        _patch_pre_tokenizer(pre)
    sys.argv = [str(script), *sys.argv[2:]]
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
