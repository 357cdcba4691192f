"""Provenance stamp: where each document came from, under which licence, and what made it.

Every document leaving the pipeline carries ``source`` (the recipe's input name), ``licence``
(SPDX id or free text from the recipe), ``consent`` (whether the data owner agreed to model
training, as the recipe declares it: we cannot verify it, we record who said so), ``sha256`` of
the final text (so a later erasure request can find the document without storing its text
elsewhere) and ``pipeline`` (agadir version + recipe fingerprint). Licence counts go to stats
so the datacard can state licence shares.
"""

from __future__ import annotations

import hashlib

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

UNKNOWN_LICENCE = "unknown"


class Provenance(PipelineStep):
    """Stamp source, licence, consent, sha256 and pipeline version on every document."""

    type = "🏷 - PROVENANCE"
    name = "🏷 Provenance"

    def __init__(self, pipeline_version: str) -> None:
        super().__init__()
        self.pipeline_version = pipeline_version

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            meta = doc.metadata
            meta.setdefault("source", "unknown")
            licence = str(meta.get("licence") or UNKNOWN_LICENCE)
            meta["licence"] = licence
            meta["consent"] = bool(meta.get("consent", False))
            meta["sha256"] = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
            meta["pipeline"] = self.pipeline_version
            self.stat_update(f"licence/{licence}")
            yield doc
