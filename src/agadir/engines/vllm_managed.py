"""`engine = "vllm"`: a model of the store served by a `vllm serve` child that Agadir starts,
supervises and stops (vllm_process.py), reached through the upstream engine.

Every request goes through `UpstreamEngine` pointed at the child's loopback port, so what holds
for upstreams holds here (parameters forwarded, /tokenize token ids, streaming, usage). While
the child is down (exited, restarting) requests get a 503 naming its log instead of a hang.

Adapters: the base's adapters in the store are started as LoRA modules (vllm_args.py); a
`BASE:ADAPTER` request is the same engine with the LoRA module's name as the upstream model.
Which keys may name an adapter is decided before any engine is reached, by the `models:` scopes
on the full `BASE:ADAPTER` name (the same check as for llama.cpp adapters). An adapter
registered after the start is loaded into the running vLLM through `/v1/load_lora_adapter`
(the child is started with `VLLM_ALLOW_RUNTIME_LORA_UPDATING`), and is part of the command line
of any restart. What this engine does not do: run several gateway workers (each would start
its own vLLM on the same GPUs), or place models on GPUs (vLLM's `CUDA_VISIBLE_DEVICES`).
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx

from agadir.config import Settings, UpstreamSettings
from agadir.egress import OFFLINE_SWITCHES
from agadir.engines.base import ChatMessage, Delta, Embeddings, EngineInfo, SamplingParams
from agadir.engines.upstream import UpstreamEngine
from agadir.engines.vllm_args import LoraModule, lora_module_name, serve_argv
from agadir.engines.vllm_process import VllmProcess
from agadir.errors import ConfigError, EngineUnavailableError, ModelFileError
from agadir.models import hf
from agadir.models.manifest import ModelManifest
from agadir.models.store import ModelStore


class VllmEngine:
    def __init__(
        self, manifest: ModelManifest, settings: Settings, process: VllmProcess, lora: bool
    ) -> None:
        self.manifest = manifest
        self.process = process
        self.lora = lora  # started with --enable-lora: adapters can be added at run time
        self._settings = settings
        self._name = manifest.name
        self._context = usable_context(manifest, settings)
        self._upstream = self._upstream_for(manifest.name)
        self._owner = True  # adapter views share the child and do not stop it

    def _upstream_for(self, remote_model: str) -> UpstreamEngine:
        config = UpstreamSettings.model_validate(
            {
                "name": self._name,
                "base_url": self.process.url,
                "model": remote_model,
                "context_length": self._context,
                "health_interval_s": 0,  # the supervisor watches the child
            }
        )
        return UpstreamEngine(config, self._settings)

    @property
    def upstream(self) -> UpstreamEngine:
        """The upstream engine requests go through (its replica metrics are this child's)."""
        return self._upstream

    @property
    def owns_process(self) -> bool:
        """False for a `BASE:ADAPTER` view, which shares its base's child."""
        return self._owner

    def info(self) -> EngineInfo:
        return EngineInfo(
            kind="vllm",
            model=self._name,
            capabilities=("chat", "completion", "embedding"),
            context_length=self._context,
            detail=f"vllm serve (pid {self.process.pid}) on {self.process.url}",
        )

    def _serving(self) -> UpstreamEngine:
        if not self.process.ready:
            raise EngineUnavailableError(
                f"vLLM serving '{self._name}' is restarting after it exited "
                f"({self.process.restarts} restarts so far); retry shortly. Its log: "
                f"{self.process.log_path}"
            )
        return self._upstream

    async def with_adapter(self, manifest: ModelManifest) -> VllmEngine:
        """The engine served as `BASE:ADAPTER`: this child, the adapter's LoRA module."""
        module = lora_module_name(manifest.name)
        if module not in await self._modules():
            await self._load_adapter(module, Path(manifest.path))
        view = copy.copy(self)
        view._name = manifest.name
        view._upstream = self._upstream_for(module)
        view._owner = False
        return view

    async def _modules(self) -> set[str]:
        self._serving()
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            response = await client.get(f"{self.process.url}/models")
        return {str(card.get("id")) for card in response.json().get("data", [])}

    async def _load_adapter(self, module: str, path: Path) -> None:
        if not self.lora:
            raise ModelFileError(
                f"vLLM for '{self.manifest.name}' was started without LoRA (no adapter was "
                "registered then, or vllm.enable_lora is off): restart `agadir serve` to serve "
                f"the adapter '{module}'."
            )
        body = {"lora_name": module, "lora_path": str(path)}
        async with httpx.AsyncClient(timeout=120, trust_env=False) as client:
            response = await client.post(f"{self.process.url}/load_lora_adapter", json=body)
        if response.status_code != 200:
            raise ModelFileError(
                f"vLLM refused the adapter '{module}' ({path}): {response.text[:300]}"
            )

    # -- generation: the upstream engine, once the child answers ---------------------------------
    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams
    ) -> AsyncIterator[Delta]:
        return self._serving().stream_chat(messages, params)

    def stream_complete(
        self, prompt: str, params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]:
        return self._serving().stream_complete(prompt, params, echo=echo)

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        return await self._serving().embed(texts)

    async def tokenize(self, text: str) -> list[int]:
        return await self._serving().tokenize(text)

    async def count_tokens(self, text: str) -> int:
        return await self._serving().count_tokens(text)

    def retire(self) -> None:
        """Stop the child in the background: the model was removed or re-registered (the
        engine manager drops it; requests still running on it end with an error)."""
        if self._owner:
            threading.Thread(target=self.process.stop, name="vllm-retire", daemon=True).start()

    async def aclose(self) -> None:
        await self._upstream.aclose()
        if self._owner:
            await asyncio.to_thread(self.process.stop)


def usable_context(manifest: ModelManifest, settings: Settings) -> int:
    limit = settings.vllm.max_model_len
    return min(manifest.context_length, limit) if limit else manifest.context_length


def lora_modules(manifest: ModelManifest, settings: Settings) -> list[LoraModule]:
    """The adapters registered on this exact base (same sha256), as LoRA modules."""
    found = []
    for m in ModelStore(settings.models_dir).manifests():
        if m.kind == "adapter" and m.base == manifest.name and m.base_sha256 == manifest.sha256:
            path = Path(m.path)
            found.append(LoraModule(lora_module_name(m.name), path, hf.lora_rank(path)))
    return found


def find_executable(settings: Settings, model: str) -> str:
    """The `vllm` command's full path, or a ConfigError that says how to get one."""
    found = shutil.which(settings.vllm.executable)
    if found is None:
        raise ConfigError(
            f"The vLLM executable '{settings.vllm.executable}' was not found, so '{model}' "
            "(engine vllm) cannot start. Install the gpu extra on a machine with a GPU "
            "(pip install 'agadir[gpu]'), or set [vllm] executable in agadir.toml."
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create(manifest: ModelManifest, settings: Settings) -> VllmEngine:
    """Start `vllm serve` for `manifest` and wait until it answers (blocking: the engine
    manager calls factories off the event loop)."""
    if manifest.kind == "adapter":
        raise ModelFileError(f"'{manifest.name}' is an adapter: it is served on its base.")
    config = settings.vllm
    executable = find_executable(settings, manifest.name)
    if settings.workers > 1:
        raise ConfigError(
            "engine vllm starts one vLLM per gateway process: serve it with workers = 1, or run "
            "`vllm serve` yourself and list it under [[upstreams]] for several workers."
        )
    if not Path(manifest.path).is_dir():
        raise ModelFileError(f"The model folder of '{manifest.name}' is missing: {manifest.path}")
    port = _free_port()
    lora = config.enable_lora and bool(lora_modules(manifest, settings))

    def command() -> list[str]:  # re-read at each (re)start: adapters added since are served
        adapters = lora_modules(manifest, settings) if lora else []
        return serve_argv(
            config,
            executable,
            model_dir=Path(manifest.path),
            served_name=manifest.name,
            port=port,
            adapters=adapters,
        )

    env = {**OFFLINE_SWITCHES, **os.environ}
    if lora:
        env["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] = "True"
    safe = manifest.name.replace("/", "_").replace(":", "_")
    process = VllmProcess(
        command,
        port=port,
        log_path=settings.home / "logs" / f"vllm-{safe}.log",
        env=env,
        startup_timeout_s=config.startup_timeout_s,
        stop_grace_s=config.stop_grace_s,
        restart_backoff_s=config.restart_backoff_s,
    )
    process.start()
    return VllmEngine(manifest, settings, process, lora)
