"""A model's manifest: what the file is, where it came from, under which licence.

Sovereignty starts with knowing exactly which weights answered: the audit log records the
manifest's sha256 next to every request.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Capability = Literal["chat", "completion", "embedding"]
ManifestKind = Literal["model", "adapter"]
_CHUNK = 4 * 1024 * 1024


def _generative() -> list[Capability]:
    return ["chat", "completion"]


class ModelManifest(BaseModel):
    """Stored as ``<models_dir>/<name>.json``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    path: str
    engine: str = "llamacpp"
    sha256: str
    size_bytes: int
    license: str = "unknown"
    source: str = "local file"
    context_length: int = 2048
    capabilities: list[Capability] = Field(default_factory=_generative)
    packaged: bool = False
    added_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # summaries of `agadir eval` runs of this model (agadir.evals.manifest), oldest first
    evals: list[dict[str, Any]] = Field(default_factory=list)
    # what a tuned model was made from (agadir.tune.lineage); None for models added as files
    lineage: dict[str, Any] | None = None
    # a LoRA adapter is served on its base (`base:adapter`), and only on the exact base file
    # it was registered against: base_sha256 is checked before the adapter is applied
    kind: ManifestKind = "model"
    base: str | None = None
    base_sha256: str | None = None


def sha256_file(path: Path) -> str:
    """Hash a (possibly large) file in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
