"""Listings a user copies from: a table that never cuts an id or a hash, or JSON/TSV.

Why: rich shortens cells that do not fit with "…", and an id with an ellipsis cannot be pasted
into the next command (`agadir kb erase --document ID`, `agadir keys revoke ID`). Columns named
in `paste` fold onto several lines instead; `--format json|tsv` gives scripts the raw values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    tsv = "tsv"


FORMAT_HELP = "table (for people), json or tsv (for scripts; full values, one row a line)."


def emit(
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    fmt: OutputFormat,
    *,
    paste: Sequence[str] = ("id",),
    console: Console | None = None,
) -> None:
    """Print `rows` (dicts keyed by `columns`) in `fmt`."""
    if fmt is OutputFormat.json:
        print(json.dumps([{c: row[c] for c in columns} for row in rows], ensure_ascii=False))
        return
    if fmt is OutputFormat.tsv:
        print("\t".join(columns))
        for row in rows:
            print("\t".join(_tsv_cell(row[c]) for c in columns))
        return
    table = Table()
    for column in columns:
        if column in paste:  # whole, folded if need be, and never squeezed out
            table.add_column(column, overflow="fold", no_wrap=False, min_width=len(column))
        else:
            table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row[c]) for c in columns))
    (console or Console()).print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(sorted(str(v) for v in value))
    return str(value)


def _tsv_cell(value: Any) -> str:
    return "" if value is None else _cell(value).replace("\t", " ").replace("\n", " ")
