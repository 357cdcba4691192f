"""Write tiny GGUF files (header + metadata, no tensors) for store and CLI tests."""

from __future__ import annotations

import struct
from pathlib import Path


def _string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("<Q", len(raw)) + raw


def write_gguf(
    path: Path,
    *,
    arch: str = "llama",
    context_length: int = 4096,
    strings: dict[str, str] | None = None,
) -> Path:
    """``strings`` adds string keys (e.g. general.type=adapter for a LoRA adapter)."""
    kv = [
        (_string("general.architecture"), struct.pack("<I", 8) + _string(arch)),
        (
            _string(f"{arch}.context_length"),
            struct.pack("<I", 4) + struct.pack("<I", context_length),
        ),
        (
            _string("tokenizer.ggml.tokens"),
            struct.pack("<I", 9)
            + struct.pack("<I", 8)
            + struct.pack("<Q", 2)
            + _string("a")
            + _string("b"),
        ),
    ]
    kv += [(_string(k), struct.pack("<I", 8) + _string(v)) for k, v in (strings or {}).items()]
    body = b"GGUF" + struct.pack("<I", 3) + struct.pack("<Q", 0) + struct.pack("<Q", len(kv))
    body += b"".join(k + v for k, v in kv)
    path.write_bytes(body)
    return path
