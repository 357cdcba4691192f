"""Copy every lab's code cells from its English file into its French and Arabic files.

The three languages of a lab share one code path: only the prose differs. Edit the code in
``labN_*.en.py``, then run ``python academy/sync_cells.py``; the markdown cells of the other
languages are kept as they are. The cell layout (markdown/code, in order) must already match:
a new cell is added by hand in every language, with its prose, and this script fills its code.
``--check`` only reports files whose code differs (the test suite does the same with jupytext).

Cells are split at lines starting with ``# %%`` (jupytext's percent format); what comes before
the first marker is the jupytext header, kept per file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ACADEMY = Path(__file__).resolve().parent
OTHER_LANGUAGES = ("fr", "ar")

Cell = tuple[str, str]  # (marker line, body)


def split_cells(text: str) -> tuple[str, list[Cell]]:
    """The header and the cells of a percent-format file."""
    header: list[str] = []
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("# %%"):
            cells.append((line, []))
        elif cells:
            cells[-1][1].append(line)
        else:
            header.append(line)
    return "".join(header), [(marker, "".join(body)) for marker, body in cells]


def is_markdown(cell: Cell) -> bool:
    return "[markdown]" in cell[0]


def synced(english: str, other: str, name: str) -> str:
    """``other`` with its code cells replaced by ``english``'s, in order."""
    _, en_cells = split_cells(english)
    header, cells = split_cells(other)
    kinds_en = [is_markdown(c) for c in en_cells]
    kinds = [is_markdown(c) for c in cells]
    if kinds_en != kinds:
        raise SystemExit(
            f"{name}: cell layout differs from the English file "
            f"({len(cells)} cells vs {len(en_cells)}); add or remove cells by hand first"
        )
    out = [header]
    for en_cell, cell in zip(en_cells, cells, strict=True):
        out += cell if is_markdown(cell) else en_cell
    return "".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="report differences, write nothing")
    args = ap.parse_args()
    stale: list[str] = []
    missing: list[str] = []
    for english in sorted(ACADEMY.glob("lab*.en.py")):
        for lang in OTHER_LANGUAGES:
            path = english.with_name(english.name.replace(".en.py", f".{lang}.py"))
            if not path.is_file():
                missing.append(path.name)
                continue
            new = synced(
                english.read_text(encoding="utf-8"), path.read_text(encoding="utf-8"), path.name
            )
            if new != path.read_text(encoding="utf-8"):
                stale.append(path.name)
                if not args.check:
                    path.write_text(new, encoding="utf-8")
    verb = "differ" if args.check else "updated"
    print(f"{verb}: {', '.join(stale)}" if stale else "all code cells in sync")
    if missing:
        print(f"missing (every lab exists in en, fr and ar): {', '.join(missing)}")
    return 1 if missing or (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
