"""Factory for the echo engine, kept apart so the registry can import it lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agadir.engines.echo import EchoEngine

if TYPE_CHECKING:
    from agadir.config import Settings
    from agadir.models.manifest import ModelManifest


def create(manifest: ModelManifest, settings: Settings) -> EchoEngine:
    return EchoEngine(manifest.name, manifest.context_length)
