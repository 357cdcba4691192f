"""LoRA adapters on the llama.cpp engine: one context per active adapter, on one shared model.

llama.cpp applies a LoRA adapter to a whole context, not to one sequence, so two tenants'
adapters cannot share a batch. Each active adapter therefore gets its own context and
scheduler; all of them use the base engine's single `LlamaModel`, so the base weights exist
once in memory (mmapped, and repacked once when extra buffers are on). An adapter costs its
own LoRA tensors and one KV cache. A context never changes adapter, and its prefix cache lives
and dies with it: a prefix evaluated under one tenant's adapter is never reused for another.

Contexts are created on first use and bounded (`llamacpp.adapter_contexts`); the least
recently used idle one is closed to make room. When every slot is decoding for some request,
a new adapter is refused with a 503 rather than evicting work in flight.
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp import _internals as internals

from agadir.engines.llamacpp_scheduler import BatchScheduler
from agadir.errors import EngineUnavailableError, ModelFileError

ContextFactory = Callable[[], tuple[internals.LlamaContext, BatchScheduler]]


@dataclass(frozen=True)
class AdapterRef:
    """Which adapter a request runs under: its served name and its GGUF file."""

    name: str
    path: Path


@dataclass
class _Slot:
    lora: Any
    context: internals.LlamaContext
    scheduler: BatchScheduler
    users: int = 0

    def close(self) -> None:
        self.scheduler.close()
        self.context.close()
        llama_cpp.llama_adapter_lora_free(self.lora)


class AdapterPool:
    """Adapter name -> its own context and scheduler, created lazily, least recently used first
    out. Thread-safe: requests acquire from worker threads."""

    def __init__(self, model: internals.LlamaModel, make_context: ContextFactory, limit: int):
        self._model = model
        self._make_context = make_context
        self._limit = limit
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # contexts created (for tests and metrics): evictions make it grow

    def active(self) -> list[str]:
        with self._lock:
            return list(self._slots)

    def acquire(self, ref: AdapterRef) -> BatchScheduler:
        """The scheduler of `ref`'s context, marked in use until `release`."""
        with self._lock:
            slot = self._slots.get(ref.name)
            if slot is None:
                self._make_room(ref.name)
                slot = self._load(ref)
                self._slots[ref.name] = slot
            self._slots.move_to_end(ref.name)
            slot.users += 1
            return slot.scheduler

    def release(self, ref: AdapterRef) -> None:
        with self._lock:
            slot = self._slots.get(ref.name)
            if slot is not None:
                slot.users -= 1

    def _make_room(self, wanted: str) -> None:
        while len(self._slots) >= self._limit:
            idle = next((name for name, s in self._slots.items() if s.users == 0), None)
            if idle is None:
                raise EngineUnavailableError(
                    f"All {self._limit} adapter contexts are serving requests, so '{wanted}' "
                    "cannot be loaded now. Retry shortly, or raise llamacpp.adapter_contexts in "
                    "agadir.toml (each costs one KV cache)."
                )
            self._slots.pop(idle).close()

    def _load(self, ref: AdapterRef) -> _Slot:
        lora = llama_cpp.llama_adapter_lora_init(self._model.model, str(ref.path).encode())
        if not lora:
            raise ModelFileError(
                f"llama.cpp could not load the adapter {ref.path} for '{ref.name}'. Run "
                "`agadir models verify` and check it was exported for this base model."
            )
        context, scheduler = self._make_context()
        adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(lora)
        scales = (ctypes.c_float * 1)(1.0)
        if llama_cpp.llama_set_adapters_lora(context.ctx, adapters, 1, scales) != 0:
            scheduler.close()
            context.close()
            llama_cpp.llama_adapter_lora_free(lora)
            raise ModelFileError(f"llama.cpp refused to apply the adapter {ref.path}.")
        self.loads += 1
        return _Slot(lora, context, scheduler)

    def close(self) -> None:
        with self._lock:
            while self._slots:
                self._slots.popitem()[1].close()
