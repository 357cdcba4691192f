"""Knowledge bases as records: who owns one, why it exists, and who may read it.

A base belongs to one tenant (its owner) and carries the facts a data-protection officer asks
for first: purpose, legal basis and retention. `readers` lists the other tenants allowed to read
it (`*` = every tenant: the public sector packs). A key also needs the `kb:NAME` scope; both
checks are made by `readable_bases`, whose result feeds the search queries as a filter.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping, func, or_, select, update

from agadir.errors import AgadirError, InvalidRequestError, NotFoundError
from agadir.store import Store
from agadir.store.schema import kb_bases, kb_chunks, kb_documents

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
PUBLIC = "*"


class KnowledgeBaseNotFoundError(NotFoundError):
    code = "knowledge_base_not_found"


class KnowledgeAccessDeniedError(AgadirError):
    """The same answer whether the base exists or not: no hint of what it contains."""

    status_code = 403
    error_type = "permission_error"
    code = "knowledge_base_forbidden"


class KnowledgeBaseExistsError(InvalidRequestError):
    status_code = 409
    code = "knowledge_base_exists"


@dataclass(frozen=True)
class KnowledgeBase:
    name: str
    owner: str
    title: str
    purpose: str
    legal_basis: str
    retention_days: int
    readers: tuple[str, ...]
    created_at: float
    generation: int

    def readable_by(self, tenant: str) -> bool:
        return tenant == self.owner or PUBLIC in self.readers or tenant in self.readers


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidRequestError(
            f"invalid knowledge base name {name!r}: use 1-63 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit",
            param="name",
        )
    return name


class BaseRegistry:
    """CRUD over `kb_bases`; every write bumps `generation` so caches know to reload."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self,
        name: str,
        *,
        owner: str,
        title: str | None = None,
        purpose: str,
        legal_basis: str,
        retention_days: int = 0,
        readers: tuple[str, ...] = (),
    ) -> KnowledgeBase:
        check_name(name)
        if not purpose.strip() or not legal_basis.strip():
            raise InvalidRequestError(
                "a knowledge base needs a purpose and a legal basis (Law 09-08 asks for both)",
                param="purpose" if not purpose.strip() else "legal_basis",
            )
        if retention_days < 0:
            raise InvalidRequestError("retention_days must be >= 0 (0 = keep)", param="retention")
        with self.store.write() as conn:
            if conn.execute(select(kb_bases.c.name).where(kb_bases.c.name == name)).first():
                raise KnowledgeBaseExistsError(f"knowledge base {name!r} already exists")
            conn.execute(
                kb_bases.insert().values(
                    name=name,
                    owner=owner,
                    title=title or name,
                    purpose=purpose,
                    legal_basis=legal_basis,
                    retention_days=retention_days,
                    readers=json.dumps(sorted(set(readers))),
                    created_at=time.time(),
                    # Unique across re-creations of a name (microseconds), so caches keyed by
                    # (name, generation) never mistake a new base for an erased one.
                    generation=time.time_ns() // 1000,
                )
            )
        return self.get(name)

    def get(self, name: str) -> KnowledgeBase:
        with self.store.read() as conn:
            row = conn.execute(select(kb_bases).where(kb_bases.c.name == name)).first()
        if row is None:
            raise KnowledgeBaseNotFoundError(
                f"no knowledge base named {name!r}; list them with `agadir kb list`"
            )
        return _base(row._mapping)

    def all(self, tenant: str | None = None) -> list[KnowledgeBase]:
        """Every base, or those `tenant` may read (owner, listed reader or public)."""
        query = select(kb_bases).order_by(kb_bases.c.name)
        if tenant is not None:
            query = query.where(
                or_(
                    kb_bases.c.owner == tenant,
                    kb_bases.c.readers.contains(json.dumps(tenant)),
                    kb_bases.c.readers.contains(json.dumps(PUBLIC)),
                )
            )
        with self.store.read() as conn:
            rows = conn.execute(query).all()
        return [
            b for b in (_base(r._mapping) for r in rows) if tenant is None or b.readable_by(tenant)
        ]

    def counts(self, name: str) -> tuple[int, int]:
        """(documents, chunks) in a base."""
        with self.store.read() as conn:
            docs = conn.execute(
                select(func.count()).select_from(kb_documents).where(kb_documents.c.kb == name)
            ).scalar_one()
            chunks = conn.execute(
                select(func.count()).select_from(kb_chunks).where(kb_chunks.c.kb == name)
            ).scalar_one()
        return int(docs), int(chunks)

    def generations(self, names: list[str]) -> dict[str, int]:
        with self.store.read() as conn:
            rows = conn.execute(
                select(kb_bases.c.name, kb_bases.c.generation).where(kb_bases.c.name.in_(names))
            ).all()
        return {r[0]: int(r[1]) for r in rows}


def bump_generation(conn: Connection, name: str) -> None:
    """Mark a base as changed (called inside the write transaction that changed it)."""
    conn.execute(
        update(kb_bases).where(kb_bases.c.name == name).values(generation=kb_bases.c.generation + 1)
    )


def _base(m: RowMapping) -> KnowledgeBase:
    return KnowledgeBase(
        name=m["name"],
        owner=m["owner"],
        title=m["title"],
        purpose=m["purpose"],
        legal_basis=m["legal_basis"],
        retention_days=int(m["retention_days"]),
        readers=tuple(json.loads(m["readers"])),
        created_at=float(m["created_at"]),
        generation=int(m["generation"]),
    )
