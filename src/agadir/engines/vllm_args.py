"""The `vllm serve` command line for one model of the store, from the `[vllm]` settings.

Kept apart from the process code so that what Agadir asks vLLM for can be read (and tested)
without starting anything. vLLM binds loopback only: Agadir is the one door to it, and every
request reaching it has passed governance.

LoRA: each adapter registered on the base becomes one `--lora-modules NAME=PATH`, NAME being the
adapter's own name (the part after `BASE:`). vLLM refuses adapters whose rank exceeds
`--max-lora-rank` (default 16) and accepts only a few values for it, so the largest registered
rank is rounded up to the next accepted one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agadir.config import VllmSettings
from agadir.errors import ConfigError

#: the values vLLM accepts for --max-lora-rank (vllm.config.LoRAConfig)
LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)
#: vLLM's own default; a larger rank must be asked for
VLLM_DEFAULT_LORA_RANK = 16


@dataclass(frozen=True)
class LoraModule:
    """One adapter as vLLM serves it: `name` is the `model` a request names on vLLM."""

    name: str
    path: Path
    rank: int

    @property
    def argument(self) -> str:
        return f"{self.name}={self.path}"


def lora_module_name(adapter: str) -> str:
    """`base:tenant-a` -> `tenant-a`: the LoRA module name of a registered adapter."""
    return adapter.rsplit(":", 1)[-1]


def lora_rank_setting(rank: int) -> int:
    """The smallest `--max-lora-rank` vLLM accepts that holds an adapter of rank `rank`."""
    for allowed in LORA_RANKS:
        if rank <= allowed:
            return allowed
    raise ConfigError(
        f"A LoRA adapter of rank {rank} is above the largest rank vLLM serves "
        f"({LORA_RANKS[-1]}); retrain it with a smaller `r`."
    )


def max_lora_rank(settings: VllmSettings, adapters: Sequence[LoraModule]) -> int | None:
    """The `--max-lora-rank` to pass, or None when vLLM's default already holds every adapter."""
    if settings.max_lora_rank is not None:
        return lora_rank_setting(settings.max_lora_rank)
    largest = max((a.rank for a in adapters), default=0)
    if largest <= VLLM_DEFAULT_LORA_RANK:
        return None
    return lora_rank_setting(largest)


def serve_argv(
    settings: VllmSettings,
    executable: str,
    *,
    model_dir: Path,
    served_name: str,
    port: int,
    adapters: Sequence[LoraModule] = (),
) -> list[str]:
    """`vllm serve MODEL_DIR ...` for this model, on 127.0.0.1:`port`."""
    argv = [executable, "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--served-model-name", served_name]
    argv += ["--tensor-parallel-size", str(settings.tensor_parallel_size)]
    argv += ["--gpu-memory-utilization", f"{settings.gpu_memory_utilization:g}"]
    if settings.max_model_len is not None:
        argv += ["--max-model-len", str(settings.max_model_len)]
    if settings.enable_lora and adapters:
        argv += ["--enable-lora", "--max-loras", str(settings.max_loras)]
        rank = max_lora_rank(settings, adapters)
        if rank is not None:
            argv += ["--max-lora-rank", str(rank)]
        argv += ["--lora-modules", *(a.argument for a in adapters)]
    return argv + list(settings.extra_args)
