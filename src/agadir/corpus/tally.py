"""Pass-through counter: documents, words and bytes per language at a named point.

Placed between steps so the datacard can show how each language shrinks step by step.
Counts go to the step's datatrove stats as ``{point}/{language}/docs|words|bytes``, which the
executors already merge across tasks (so it works the same on local, Ray and Slurm).
"""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep


class Tally(PipelineStep):
    """Count what flows past ``point`` per ``metadata["language"]`` (``all`` before LID)."""

    type = "📊 - TALLY"
    name = "📊 Tally"

    def __init__(self, point: str) -> None:
        super().__init__()
        self.point = point

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            lang = str(doc.metadata.get("language", "all"))
            key = f"{self.point}/{lang}"
            self.stat_update(f"{key}/docs")
            self.stat_update(f"{key}/words", value=len(doc.text.split()))
            self.stat_update(f"{key}/bytes", value=len(doc.text.encode("utf-8")))
            yield doc
