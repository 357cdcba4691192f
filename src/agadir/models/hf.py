"""Hugging Face model folders, the weights vLLM serves: a model (config.json + safetensors) or a
PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors).

A folder has no single file to hash, so its digest is the sha256 of its files' relative paths
and sha256s in sorted order: any change to any file changes it, and `agadir models verify`
re-computes it the same way. What this module does not handle: GGUF files (`models.gguf`), and
folders that point at remote code (vLLM is started offline; such a model fails there, loudly).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from agadir.errors import InvalidRequestError
from agadir.models.manifest import sha256_file

#: config.json keys that carry the trained context length, most specific first
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")


def folder_sha256(path: Path) -> tuple[str, int]:
    """(digest, total bytes) of every file under `path`, hidden files excluded."""
    digest = hashlib.sha256()
    total = 0
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        digest.update(f"{relative}\0{sha256_file(file)}\n".encode())
        total += file.stat().st_size
    return digest.hexdigest(), total


def content_sha256(path: Path) -> str:
    """A registered path's digest: a folder's (above) or a file's."""
    return folder_sha256(path)[0] if path.is_dir() else sha256_file(path)


def _json(path: Path, name: str, what: str) -> dict[str, Any]:
    target = path / name
    if not path.is_dir() or not target.is_file():
        raise InvalidRequestError(f"{path} is not {what}: it has no {name}.")
    try:
        data = json.loads(target.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(f"{target} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidRequestError(f"{target} is not a JSON object.")
    return data


def model_config(path: Path) -> dict[str, Any]:
    """A model folder's config.json (refused when the folder is not a model)."""
    return _json(path, "config.json", "a Hugging Face model folder (save_pretrained)")


def context_length(config: dict[str, Any], default: int = 2048) -> int:
    for key in _CONTEXT_KEYS:
        value = config.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return default


def adapter_config(path: Path) -> dict[str, Any]:
    """A PEFT adapter folder's adapter_config.json (refused unless it is a LoRA adapter)."""
    config = _json(path, "adapter_config.json", "a PEFT LoRA adapter folder (save_pretrained)")
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise InvalidRequestError(f"{path} is a {config.get('peft_type')} adapter, not LoRA.")
    return config


def lora_rank(path: Path) -> int:
    """The adapter's LoRA rank `r` (vLLM must be started with a max rank at least this)."""
    config = adapter_config(path)
    ranks = [config.get("r")]
    pattern = config.get("rank_pattern")
    if isinstance(pattern, dict):  # per-module ranks: the largest one counts
        ranks.extend(pattern.values())
    found = [r for r in ranks if isinstance(r, int) and r > 0]
    if not found:
        raise InvalidRequestError(f"{path}/adapter_config.json has no LoRA rank `r`.")
    return max(found)
