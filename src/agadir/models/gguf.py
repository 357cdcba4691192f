"""Just enough GGUF reading to validate a file and learn its context length without loading it.

Reads the header and metadata key/values (spec: ggml/docs/gguf.md). Tensor data is never read,
so this is instant even for multi-GB files. It does not handle GGUF v1 (pre-2023) files.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

from agadir.errors import ModelFileError

GGUF_MAGIC = b"GGUF"
# value type id -> struct format (scalars only; 8 = string, 9 = array)
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}


def _read(fh: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    raw = fh.read(size)
    if len(raw) != size:
        raise EOFError
    return struct.unpack(fmt, raw)[0]


def _read_str(fh: BinaryIO) -> str:
    length = _read(fh, "<Q")
    if length > 1 << 26:
        raise ValueError("string too long")
    return fh.read(length).decode("utf-8", errors="replace")


def _read_value(fh: BinaryIO, vtype: int, keep: bool) -> Any:
    if vtype in _SCALARS:
        return _read(fh, _SCALARS[vtype])
    if vtype == 8:
        return _read_str(fh)
    if vtype == 9:
        item_type = _read(fh, "<I")
        count = _read(fh, "<Q")
        items = [_read_value(fh, item_type, keep) for _ in range(count)]
        return items if keep else len(items)
    raise ValueError(f"unknown GGUF value type {vtype}")


def read_gguf_metadata(path: Path) -> dict[str, Any]:
    """Metadata of a GGUF file (arrays such as the vocabulary are reduced to their length).

    Raises `ModelFileError` with a hint when the file is missing, truncated or not a GGUF.
    """
    if not path.is_file():
        raise ModelFileError(
            f"Model file not found: {path}. Check the path, or re-register the model with "
            "`agadir models add PATH --name NAME`."
        )
    try:
        with path.open("rb") as fh:
            if fh.read(4) != GGUF_MAGIC:
                raise ModelFileError(
                    f"{path} is not a GGUF file (bad magic). Convert the model to GGUF "
                    "(llama.cpp's convert_hf_to_gguf.py) or download a .gguf build."
                )
            version = _read(fh, "<I")
            if version < 2:
                raise ModelFileError(f"{path} is GGUF v{version}; re-convert it with llama.cpp.")
            _n_tensors = _read(fh, "<Q")
            n_kv = _read(fh, "<Q")
            meta: dict[str, Any] = {"gguf.version": version}
            for _ in range(n_kv):
                key = _read_str(fh)
                vtype = _read(fh, "<I")
                meta[key] = _read_value(fh, vtype, keep=False)
            return meta
    except (EOFError, ValueError, struct.error) as exc:
        raise ModelFileError(
            f"{path} is truncated or corrupt ({exc or 'unexpected end of file'}). "
            "Download it again and compare its sha256 with the publisher's."
        ) from exc


def context_length(meta: dict[str, Any], default: int = 2048) -> int:
    """The trained context length, from ``<arch>.context_length``."""
    arch = meta.get("general.architecture")
    value = meta.get(f"{arch}.context_length") if arch else None
    return int(value) if isinstance(value, int) and value > 0 else default
