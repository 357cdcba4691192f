"""A record that cannot be encoded as it is still goes into the chain, repaired and marked.

Why: one record's content (a lone surrogate, an object orjson cannot encode) must never fail
the batch it travels in — the other requests of that batch would get 503s — nor stop the
writer. The gateway refuses invalid Unicode at the edge; this is the writer's own guarantee.

The repaired body is the record's own, with every string made valid UTF-8 (unencodable code
points written as `\\udXXX` escapes), every unknown object written as its `repr`, and a
`salvaged` field naming what failed. If even that cannot be built, a minimal body keeps who,
where and when.
"""

from __future__ import annotations

from typing import Any

from agadir.audit.record import AuditRecord

_MAX_DEPTH = 32


def safe_text(value: str) -> str:
    """`value` as valid UTF-8 text: lone surrogates become backslash escapes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _plain(value: Any, depth: int = 0) -> Any:
    """`value` rebuilt from JSON-encodable types only."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return safe_text(value)
    if depth >= _MAX_DEPTH:
        return "(nested too deep)"
    if isinstance(value, dict):
        return {safe_text(str(k)): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in value]
    return safe_text(repr(value))


def salvaged_body(
    record: AuditRecord, seq: int, content_key: bytes, error: Exception
) -> dict[str, Any]:
    """The record's body, repaired so that it encodes; `error` is why the plain one did not."""
    try:
        body = record.body(seq, content_key)
    except Exception:  # the content itself cannot be resolved: keep everything else
        original, record.content = record.content, None
        try:
            body = record.body(seq, content_key)
        except Exception:
            return minimal_body(record, seq, error)
        finally:
            record.content = original
        body["content"] = {"unrecordable": True}
    repaired: dict[str, Any] = _plain(body)
    repaired["salvaged"] = type(error).__name__
    return repaired


def minimal_body(record: AuditRecord, seq: int, error: Exception) -> dict[str, Any]:
    """Who, where and when, for a record whose body cannot be built at all."""
    fields = {
        "kind": record.kind,
        "tenant": record.tenant,
        "key_id": record.key_id,
        "endpoint": record.endpoint,
        "status": record.status,
    }
    body: dict[str, Any] = {
        name: value if value is None else safe_text(str(value)) for name, value in fields.items()
    }
    try:
        ts = round(float(record.ts), 6)
    except (TypeError, ValueError):
        ts = 0.0
    body.update(seq=seq, ts=ts, salvaged=type(error).__name__)
    return body
