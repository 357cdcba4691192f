"""Folders and a `vllm` executable for tests of the managed vLLM engine (no GPU, no vLLM):
a Hugging Face-shaped model folder, PEFT-shaped adapter folders, and a `vllm` command that runs
tests/fake_vllm.py with this interpreter."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FAKE = Path(__file__).resolve().parent / "fake_vllm.py"


def model_dir(root: Path, context: int = 4096) -> Path:
    path = root / "tiny-llama"
    path.mkdir(parents=True)
    config = {"architectures": ["LlamaForCausalLM"], "max_position_embeddings": context}
    (path / "config.json").write_text(json.dumps(config))
    (path / "model.safetensors").write_bytes(os.urandom(256))
    return path


def adapter_dir(root: Path, name: str, rank: int) -> Path:
    path = root / name
    path.mkdir(parents=True)
    config = {"peft_type": "LORA", "r": rank, "target_modules": ["q_proj", "v_proj"]}
    (path / "adapter_config.json").write_text(json.dumps(config))
    (path / "adapter_model.safetensors").write_bytes(os.urandom(64))
    return path


def vllm_executable(root: Path) -> Path:
    """A `vllm` command (exec: the child's pid is the fake server's own)."""
    path = root / "bin" / "vllm"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    path.chmod(0o755)
    return path
