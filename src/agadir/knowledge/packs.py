"""Sample sector packs shipped with Agadir (`agriculture`, `tourism`), loaded at first serve.

A pack is a folder of short documents plus `pack.toml` (title, purpose, legal basis, licence)
and `questions.jsonl` (the question set tests and benchmarks use). Packs are owned by the
operator's `admin` tenant and shared with every tenant (`readers = *`): they hold public
information. A pack whose base already exists is left alone, so edits to it are kept; an erased
pack comes back at the next start unless it is removed from the `knowledge.packs` setting.
`agadir kb load-pack NAME` reloads one on purpose.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agadir.governance.admin_key import ADMIN_TENANT
from agadir.knowledge.bases import PUBLIC, KnowledgeBaseNotFoundError
from agadir.knowledge.ingest import IngestReport
from agadir.knowledge.service import KnowledgeService

PACKS_DIR = Path(__file__).parent / "packs"
DOCUMENT_SUFFIXES = (".md", ".txt", ".html", ".pdf", ".docx")


@dataclass(frozen=True)
class Pack:
    name: str
    folder: Path
    meta: dict[str, Any]

    def documents(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if p.suffix in DOCUMENT_SUFFIXES)

    def questions(self) -> list[dict[str, str]]:
        path = self.folder / "questions.jsonl"
        if not path.is_file():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def available() -> dict[str, Pack]:
    packs: dict[str, Pack] = {}
    if PACKS_DIR.is_dir():
        for toml in sorted(PACKS_DIR.glob("*/pack.toml")):
            meta = tomllib.loads(toml.read_text(encoding="utf-8"))
            name = str(meta.get("name") or toml.parent.name)
            packs[name] = Pack(name, toml.parent, meta)
    return packs


def pack(name: str) -> Pack:
    packs = available()
    if name not in packs:
        raise KnowledgeBaseNotFoundError(
            f"no sample pack named {name!r}; available: {', '.join(sorted(packs)) or 'none'}"
        )
    return packs[name]


async def load_pack(
    service: KnowledgeService, name: str, *, only_if_missing: bool = True
) -> IngestReport | None:
    """Create the pack's base (owned by the admin tenant, readable by all) and ingest it."""
    p = pack(name)
    try:
        service.bases.get(name)
        if only_if_missing:
            return None
    except KnowledgeBaseNotFoundError:
        service.tenant_must_exist(ADMIN_TENANT)
        service.bases.create(
            name,
            owner=ADMIN_TENANT,
            title=str(p.meta.get("title", name)),
            purpose=str(p.meta.get("purpose", "sample sector knowledge")),
            legal_basis=str(p.meta.get("legal_basis", "public information")),
            retention_days=int(p.meta.get("retention_days", 0)),
            readers=(PUBLIC,),
        )
    licence = str(p.meta.get("licence", "")) or None
    if licence and p.meta.get("attribution"):
        licence = f"{licence} — {p.meta['attribution']}"
    sources = {path: f"agadir-pack://{name}/{path.name}" for path in p.documents()}
    return await service.ingestor.ingest_paths(
        name, p.documents(), owner=ADMIN_TENANT, licence=licence, sources=sources
    )
