"""GGUF → smaller GGUF through llama-cpp-python's ``llama_model_quantize`` (llama.cpp's own code).

Types are llama.cpp's ``LLAMA_FTYPE_MOSTLY_*`` names, lower-cased (``q8_0``, ``q4_k_m``…). On
tensors whose rows do not fit a type's block size (tiny test models), llama.cpp itself falls
back to a compatible type; this module does not second-guess it.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from agadir.tune.errors import ExportError, TuneRecipeError

PREFIX = "LLAMA_FTYPE_MOSTLY_"
# Float outputs are written by the converter itself, not by the quantizer.
CONVERTER_TYPES = ("f16", "f32", "bf16")


def quant_types() -> dict[str, int]:
    """Every quantization type this llama-cpp-python build offers, by lower-case name."""
    import llama_cpp

    return {
        name.removeprefix(PREFIX).lower(): int(getattr(llama_cpp, name))
        for name in dir(llama_cpp)
        if name.startswith(PREFIX) and name.removeprefix(PREFIX).lower() not in CONVERTER_TYPES
    }


def parse_quants(spec: str | None) -> list[str]:
    """``"q8_0,Q4_K_M"`` → ``["q8_0", "q4_k_m"]``; an unknown name lists the allowed ones."""
    if not spec:
        return []
    names = [part.strip().lower() for part in spec.split(",") if part.strip()]
    known = quant_types()
    unknown = [n for n in names if n not in known]
    if unknown:
        allowed = ", ".join(sorted(known))
        raise TuneRecipeError(
            f"unknown quantization type(s) {', '.join(unknown)}; allowed: {allowed}"
        )
    return list(dict.fromkeys(names))


def quantize(source: Path, target: Path, kind: str) -> None:
    """Write ``target``, a ``kind`` quantization of the float GGUF ``source``."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = quant_types()[kind]
    params.nthread = os.cpu_count() or 1
    status = llama_cpp.llama_model_quantize(
        str(source).encode(), str(target).encode(), ctypes.byref(params)
    )
    if status != 0 or not target.is_file():
        raise ExportError(
            f"llama.cpp could not quantize {source.name} to {kind} (status {status}); "
            "see the messages above. Try another --quant type."
        )
