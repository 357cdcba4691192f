"""Cached grounded answers, keyed by everything that determines them.

Only deterministic requests (temperature 0) are cached: the key hashes the base's generation
(any ingest or erasure changes it), the model, the exact grounded messages and the sampling
limits, so a stale answer can never be served. Each entry lists the documents whose passages
it used; erasing one of them deletes the entry in the same transaction (`index._remove`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from agadir.store import Store
from agadir.store.schema import kb_answer_sources, kb_answers, kb_bases


def answer_key(kb: str, generation: int, model: str, payload: Any) -> str:
    blob = json.dumps([kb, generation, model, payload], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class AnswerCache:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, key: str) -> dict[str, Any] | None:
        with self.store.read() as conn:
            value = conn.execute(
                select(kb_answers.c.answer).where(kb_answers.c.key == key)
            ).scalar()
        return None if value is None else dict(json.loads(value))

    def put(
        self,
        key: str,
        kb: str,
        generation: int,
        answer: dict[str, Any],
        documents: Sequence[str],
    ) -> None:
        """Store an answer unless the base changed since its passages were read (a document
        erased while the model was generating must not leave an answer built from it)."""
        with self.store.write() as conn:
            now = conn.execute(select(kb_bases.c.generation).where(kb_bases.c.name == kb)).scalar()
            if now != generation:
                return
            if conn.execute(select(kb_answers.c.key).where(kb_answers.c.key == key)).first():
                return
            conn.execute(
                kb_answers.insert().values(
                    key=key, kb=kb, answer=json.dumps(answer, ensure_ascii=False),
                    created_at=time.time(),
                )
            )  # fmt: skip
            rows = [{"answer_key": key, "document_id": d} for d in sorted(set(documents))]
            if rows:
                conn.execute(kb_answer_sources.insert(), rows)
