"""Per-sample answer cache in SQLite: an interrupted run resumes, a rerun costs nothing.

The key is a hash of (endpoint, model, task name and version, the sample, the prompt templates,
the request kind and decoding parameters); the value is the endpoint's raw answer, scored
later. Each answer is committed as soon as it arrives (WAL journal), so a run killed with
SIGKILL loses at most the requests in flight, which were never cached and are asked again.
The API key is not part of the key: the same endpoint and model answer the same.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    sample TEXT NOT NULL,
    output TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def cache_key(
    endpoint: str,
    model: str,
    task: str,
    version: int,
    sample: dict[str, Any],
    decoding: dict[str, Any],
) -> str:
    payload = [endpoint.rstrip("/"), model, task, version, sample, decoding]
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class AnswerCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(_SCHEMA)

    def get(self, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT output FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, key: str, task: str, sample: str, output: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO answers (key, task, sample, output, created) "
            "VALUES (?, ?, ?, ?, ?)",
            (key, task, sample, json.dumps(output, ensure_ascii=False), time.time()),
        )

    def count(self, task: str | None = None) -> int:
        if task is None:
            return int(self.db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
        query = "SELECT COUNT(*) FROM answers WHERE task = ?"
        return int(self.db.execute(query, (task,)).fetchone()[0])

    def close(self) -> None:
        self.db.close()
