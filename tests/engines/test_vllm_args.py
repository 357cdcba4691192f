"""The managed vLLM engine without a process: its command line, LoRA ranks, and Hugging Face
folders in the model store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agadir.config import VllmSettings
from agadir.engines.vllm_args import (
    LoraModule,
    lora_module_name,
    lora_rank_setting,
    max_lora_rank,
    serve_argv,
)
from agadir.errors import ConfigError, InvalidRequestError
from agadir.models import hf
from agadir.models.store import ModelStore
from tests.vllm_stub import adapter_dir, model_dir


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


@pytest.mark.parametrize(
    ("rank", "setting"), [(1, 8), (8, 8), (9, 16), (17, 32), (64, 64), (300, 320), (512, 512)]
)
def test_lora_ranks_round_up_to_what_vllm_accepts(rank: int, setting: int) -> None:
    assert lora_rank_setting(rank) == setting


def test_a_rank_above_vllm_s_largest_is_refused() -> None:
    with pytest.raises(ConfigError, match="512"):
        lora_rank_setting(513)


def test_argv_carries_every_setting(tmp_path: Path) -> None:
    settings = VllmSettings.model_validate(
        {
            "tensor_parallel_size": 2,
            "gpu_memory_utilization": 0.55,
            "max_model_len": 8192,
            "max_loras": 3,
            "extra_args": ["--enforce-eager"],
        }
    )
    adapters = [
        LoraModule("tenant-a", tmp_path / "a", 8),
        LoraModule("tenant-b", tmp_path / "b", 40),
    ]
    argv = serve_argv(
        settings, "/opt/vllm", model_dir=tmp_path / "m", served_name="tiny", port=4321,
        adapters=adapters,
    )  # fmt: skip
    assert argv[:3] == ["/opt/vllm", "serve", str(tmp_path / "m")]
    assert _flag(argv, "--host") == "127.0.0.1" and _flag(argv, "--port") == "4321"
    assert _flag(argv, "--served-model-name") == "tiny"
    assert _flag(argv, "--tensor-parallel-size") == "2"
    assert _flag(argv, "--gpu-memory-utilization") == "0.55"
    assert _flag(argv, "--max-model-len") == "8192"
    assert "--enable-lora" in argv and _flag(argv, "--max-loras") == "3"
    assert _flag(argv, "--max-lora-rank") == "64"  # 40 rounded up
    start = argv.index("--lora-modules") + 1
    assert argv[start : start + 2] == [f"tenant-a={tmp_path / 'a'}", f"tenant-b={tmp_path / 'b'}"]
    assert argv[-1] == "--enforce-eager"


def test_small_ranks_and_no_adapters_leave_vllm_defaults(tmp_path: Path) -> None:
    settings = VllmSettings()
    small = [LoraModule("a", tmp_path, 16)]
    argv = serve_argv(settings, "vllm", model_dir=tmp_path, served_name="m", port=1, adapters=small)
    assert "--enable-lora" in argv and "--max-lora-rank" not in argv
    assert "--max-model-len" not in argv
    bare = serve_argv(settings, "vllm", model_dir=tmp_path, served_name="m", port=1)
    assert "--enable-lora" not in bare and "--lora-modules" not in bare
    off = VllmSettings(enable_lora=False)  # type: ignore[call-arg]
    assert "--enable-lora" not in serve_argv(
        off, "vllm", model_dir=tmp_path, served_name="m", port=1, adapters=small
    )
    pinned = VllmSettings(max_lora_rank=100)  # type: ignore[call-arg]
    assert max_lora_rank(pinned, small) == 128


def test_lora_module_names_drop_the_base() -> None:
    assert lora_module_name("tiny:tenant-a") == "tenant-a"


def test_adapter_rank_reads_peft_config(tmp_path: Path) -> None:
    path = adapter_dir(tmp_path, "a", 8)
    assert hf.lora_rank(path) == 8
    config = json.loads((path / "adapter_config.json").read_text())
    config["rank_pattern"] = {"q_proj": 96}
    (path / "adapter_config.json").write_text(json.dumps(config))
    assert hf.lora_rank(path) == 96
    with pytest.raises(InvalidRequestError, match=r"adapter_config\.json"):
        hf.lora_rank(tmp_path)


def test_the_store_registers_folders_for_vllm(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    folder = model_dir(tmp_path, context=32768)
    base = store.add(folder, name="tiny", engine="vllm")
    assert base.engine == "vllm" and base.context_length == 32768 and base.size_bytes > 0
    adapter = store.add_adapter(adapter_dir(tmp_path, "ad", 32), base="tiny", name="tenant-a")
    assert adapter.name == "tiny:tenant-a" and adapter.engine == "vllm"
    assert adapter.base_sha256 == base.sha256
    with pytest.raises(InvalidRequestError, match=r"adapter_config\.json"):
        store.add_adapter(folder, base="tiny", name="not-an-adapter")
    assert all(r.ok for r in store.verify())
    (folder / "model.safetensors").write_bytes(b"changed")
    assert not next(r for r in store.verify() if r.name == "tiny").ok
    with pytest.raises(InvalidRequestError, match=r"config\.json"):
        store.add(tmp_path / "ad", name="wrong", engine="vllm")
