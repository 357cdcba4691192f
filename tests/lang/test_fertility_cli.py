"""`agadir lang fertility` end to end on a tiny parallel folder written in a tmp dir.

Runs the real CLI (Mistral tokenizers from the installed `mistral-common`, the packaged GGUF
vocabulary when present) in a subprocess, so the registration in `agadir.cli.main`, the file
layout `fertility_sources` expects and the error mapping are all exercised.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mistral_common")

# Same sentence pattern per language; Tifinagh costs more tokens per word than English in
# every tokenizer we ship, which the test checks as a sanity property of the numbers.
_TEXT = {
    "ary_Arab": "واش كاين شي حد هنا",
    "ary_Latn": "wach kayn chi 7ad hna",
    "arb_Arab": "هل يوجد أحد هنا",
    "eng_Latn": "is there anyone here",
    "zgh_Tfng": "ⵉⵙ ⵍⵍⴰⵏ ⴽⵔⴰ ⵏ ⵢⴰⵏ ⴷⴰ",
    "taq_Tfng": "ⵉⵙ ⵍⵍⴰⵏ",
    "taq_Latn": "is ellan iyyan da",
    "ber_Latn": "yella walbaɛd da",
}
_FILES = {
    "nllb_seed_multiway.dev.tsv": ["id", "url", "ary_Arab", "eng_Latn", "zgh_Tfng", "taq_Tfng",
                                   "taq_Latn"],
    "doda_ary_Latn-eng_Latn.dev.tsv": ["ary_Latn", "eng_Latn", "doda_file"],
    "ud_pud_arb_Arab-eng_Latn.dev.tsv": ["arb_Arab", "eng_Latn"],
    "tatoeba_ber_Latn-eng_Latn.dev.tsv": ["ber_Latn", "eng_Latn", "tatoeba_code"],
}  # fmt: skip


def _agadir(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from agadir.cli.main import main; sys.argv[0] = 'agadir'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def _write_parallel(root: Path) -> None:
    folder = root / "parallel"
    folder.mkdir()
    for name, cols in _FILES.items():
        row = [_TEXT.get(col, "1") for col in cols]
        (folder / name).write_text("\t".join(cols) + "\n" + "\t".join(row) + "\n", "utf-8")


def _cells(table: str) -> dict[str, dict[str, float]]:
    lines = [ln for ln in table.splitlines() if ln.startswith("| ")]
    langs = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    out: dict[str, dict[str, float]] = {}
    for line in lines[1:]:
        name, *cells = (c.strip() for c in line.strip("|").split("|"))
        out[name] = {lang: float(cell.split()[0]) for lang, cell in zip(langs, cells, strict=True)}
    return out


def test_fertility_cli_table_and_markdown_file(tmp_path: Path) -> None:
    _write_parallel(tmp_path)
    out_md = tmp_path / "fertility.md"
    res = _agadir("lang", "fertility", "--data", str(tmp_path), "--out-md", str(out_md))
    assert res.returncode == 0, res.stderr
    assert out_md.read_text("utf-8").strip() == res.stdout.strip()
    grid = _cells(res.stdout)
    assert {"mistral-spm-v1", "mistral-spm-v3", "mistral-tekken"} <= set(grid)
    for row in grid.values():
        assert set(row) >= {"ary_Arab", "ary_Latn", "arb_Arab", "eng_Latn", "zgh_Tfng"}
        assert all(v >= 1.0 for v in row.values())  # at least one token per word
        assert row["zgh_Tfng"] > row["eng_Latn"]


def test_fertility_cli_missing_data_is_a_clean_error(tmp_path: Path) -> None:
    res = _agadir("lang", "fertility", "--data", str(tmp_path / "nowhere"))
    assert res.returncode != 0
    assert "missing parallel set" in res.stdout + res.stderr
    assert "Traceback" not in res.stderr
