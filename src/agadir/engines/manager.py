"""Which models this server offers and the engines behind them, loaded on first use.

Sources of models, in order: the model store (packaged defaults and `agadir models add`),
upstream servers from settings, and the echo engine when enabled. Loading is guarded by one
lock per model so concurrent first requests load a model once.

The store is re-read when its folder changes (`ModelStore.signature`, one directory scan of
~10-50 us), checked when models are listed, when a request names a model this server does not
know, and at most once a second on the generation path (so a removed model stops answering):
`agadir models add` / `remove` and `agadir tune export` take effect on a running server
without a restart. A model removed or re-registered under the same name is dropped from the
loaded engines (requests already running keep theirs); the next request loads the new file.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from agadir.config import Settings, UpstreamSettings
from agadir.engines.base import Engine
from agadir.engines.registry import get_factory
from agadir.errors import ModelNotFoundError
from agadir.models.manifest import ModelManifest
from agadir.models.store import ModelStore

if TYPE_CHECKING:
    from agadir.engines.upstream import UpstreamEngine

#: How stale the model list may be on the generation path (listing checks every time).
STORE_CHECK_S = 1.0


@dataclass(frozen=True)
class ModelEntry:
    """A model clients can name, before or after its engine is loaded."""

    name: str
    engine: str
    capabilities: tuple[str, ...]
    context_length: int
    sha256: str | None
    owned_by: str
    manifest: ModelManifest | None = None


def _weights(entry: ModelEntry | None) -> tuple[str, str, str] | None:
    """What an engine was loaded from (an eval summary added to a manifest changes nothing)."""
    if entry is None or entry.manifest is None:
        return None
    m = entry.manifest
    return (m.engine, m.path, m.sha256)


class EngineManager:
    def __init__(self, settings: Settings, store: ModelStore, *, enable_echo: bool = False) -> None:
        self.settings = settings
        self.store = store
        self._entries: dict[str, ModelEntry] = {}
        self._engines: dict[str, Engine] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # upstreams whose context length is not known yet: asked on each use until one answers
        self._discovering: dict[str, UpstreamEngine] = {}
        self._enable_echo = enable_echo
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._checked = 0.0
        self.refresh()

    def sync(self, max_age: float = 0.0) -> None:
        """Re-read the store if its folder changed since the last read; `max_age`: skip the
        check when the last one is more recent than this many seconds."""
        now = time.monotonic()
        if max_age and now - self._checked < max_age:
            return
        self._checked = now
        if self.store.signature() != self._signature:
            self.refresh()

    def refresh(self) -> None:
        """Re-read the store and settings (after `models add` / `remove`)."""
        self._signature = self.store.signature()
        entries: dict[str, ModelEntry] = {}
        for m in self.store.manifests():
            entries[m.name] = ModelEntry(
                m.name,
                m.engine,
                tuple(m.capabilities),
                self._usable_context(m),
                m.sha256,
                "agadir",
                m,
            )
        for up in self.settings.upstreams:
            known = self._entries.get(up.name)
            context = up.context_length or (known.context_length if known else 0)
            for name in (up.name, *(f"{up.name}:{a}" for a in up.lora_adapters)):
                entries[name] = ModelEntry(
                    name, "upstream", ("chat", "completion", "embedding"), context, None, "upstream"
                )
        if self._enable_echo:
            echo = ModelManifest(
                name="echo",
                path="",
                engine="echo",
                sha256="",
                size_bytes=0,
                source="built-in test engine",
                context_length=8192,
                capabilities=["chat", "completion", "embedding"],
            )
            entries["echo"] = ModelEntry(
                "echo", "echo", tuple(echo.capabilities), 8192, None, "agadir", echo
            )
        for name, old in self._entries.items():
            if _weights(old) != _weights(entries.get(name)):
                dropped = self._engines.pop(name, None)  # removed or replaced: load anew on use
                retire = getattr(dropped, "retire", None)
                if callable(retire):  # a vLLM child holds GPU memory the new one will need
                    retire()
        self._entries = entries

    def _usable_context(self, manifest: ModelManifest) -> int:
        """What one request can use: llama.cpp runs each sequence in `llamacpp.n_ctx` tokens
        (at most the trained length), whatever the model was trained for."""
        if manifest.engine == "llamacpp":
            return min(manifest.context_length, self.settings.llamacpp.n_ctx)
        if manifest.engine == "vllm":
            from agadir.engines.vllm_managed import usable_context

            return usable_context(manifest, self.settings)
        return manifest.context_length

    def entries(self, max_age: float = 0.0) -> list[ModelEntry]:
        """Every model offered, the store checked first (at most `max_age` seconds ago)."""
        self.sync(max_age)
        return list(self._entries.values())

    def entry(self, name: str) -> ModelEntry:
        found = self._entries.get(name)
        if found is None:
            self.sync()
            found = self._entries.get(name)
        if found is None:
            known = ", ".join(sorted(self._entries)) or "none"
            raise ModelNotFoundError(
                f"The model '{name}' does not exist. Available models: {known}.", param="model"
            )
        return found

    def loaded(self) -> dict[str, Engine]:
        return dict(self._engines)

    async def get(self, name: str) -> Engine:
        """The engine serving `name`, loading it on first use (off the event loop)."""
        engine = self._engines.get(name)
        if engine is not None and name not in self._discovering:
            return engine
        entry = self.entry(name)
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            engine = self._engines.get(name)
            if engine is None and entry.manifest is not None and entry.manifest.kind == "adapter":
                engine = await self._adapter_engine(entry.manifest)
                self._engines[name] = engine
            elif engine is None:
                engine = await asyncio.to_thread(self._create, entry)
                self._engines[name] = engine
            if entry.engine == "upstream":
                await self._discover(name, engine)
        return engine

    async def _discover(self, name: str, engine: Engine) -> None:
        """Ask an upstream for its context length; `/v1/models` then shows it."""
        from agadir.engines.upstream import UpstreamEngine

        if not isinstance(engine, UpstreamEngine):
            return
        await engine.prepare()
        if engine.context_known:
            self._discovering.pop(name, None)
            entry = self._entries.get(name)
            if entry is not None:
                self._entries[name] = replace(entry, context_length=engine.info().context_length)
        else:
            self._discovering[name] = engine

    async def _adapter_engine(self, manifest: ModelManifest) -> Engine:
        """`base:adapter`: the base's engine with the adapter (a llama.cpp context of its own,
        or vLLM's LoRA module), refused unless the base is still the one the adapter was
        registered on."""
        from pathlib import Path

        from agadir.engines.llamacpp import LlamaCppEngine
        from agadir.errors import ModelFileError

        base_name = manifest.base or ""
        base_entry = self._entries.get(base_name)
        if base_entry is None or base_entry.sha256 != manifest.base_sha256:
            raise ModelFileError(
                f"The adapter '{manifest.name}' was registered on '{base_name}' with sha256 "
                f"{str(manifest.base_sha256)[:16]}…, which is no longer registered as such. "
                f"Re-register the adapter on the current base (agadir models add-adapter)."
            )
        base = await self.get(base_name)
        if base_entry.engine == "vllm":
            from agadir.engines.vllm_managed import VllmEngine

            if isinstance(base, VllmEngine):
                return await base.with_adapter(manifest)
        if not isinstance(base, LlamaCppEngine):
            raise ModelFileError(
                f"'{base_name}' is not served by llama.cpp or vLLM: it takes no adapter."
            )
        return base.with_adapter(manifest.name, Path(manifest.path))

    def _upstream_config(self, name: str) -> UpstreamSettings:
        """An upstream's settings; for `UPSTREAM:ADAPTER`, the same replicas asked for the
        LoRA module `ADAPTER` (`upstreams[].lora_adapters`)."""
        base, _, adapter = name.rpartition(":")
        for up in self.settings.upstreams:
            if up.name == name:
                return up
            if up.name == base and adapter in up.lora_adapters:
                return up.model_copy(update={"name": name, "model": adapter, "lora_adapters": {}})
        raise ModelNotFoundError(f"The model '{name}' does not exist.", param="model")

    async def reconcile_upstream_adapters(self) -> None:
        """At start: every replica of an upstream with `lora_adapters` gets those it lacks
        (engines.upstream_lora); the reports are kept on the engine for `/metrics`."""
        from agadir.engines.upstream import UpstreamEngine
        from agadir.engines.upstream_lora import reconcile_adapters

        for up in self.settings.upstreams:
            if not up.lora_adapters:
                continue
            engine = await self.get(up.name)
            if isinstance(engine, UpstreamEngine):
                reports = await reconcile_adapters(engine.replicas, up.lora_adapters)
                engine.adapter_reports = reports

    def _create(self, entry: ModelEntry) -> Engine:
        if entry.engine == "upstream":
            from agadir.engines.upstream import UpstreamEngine

            return UpstreamEngine(self._upstream_config(entry.name), self.settings)
        assert entry.manifest is not None
        return get_factory(entry.engine)(entry.manifest, self.settings)

    async def aclose(self) -> None:
        for engine in self._engines.values():
            await engine.aclose()
        self._engines.clear()
