"""Every lab exists in English, French and Arabic over one code path, and is a complete lab.

Cells are read with jupytext (an independent parser from `academy/sync_cells.py`, which
writes them); markdown cells are dropped and the code cells compared as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ACADEMY = Path(__file__).resolve().parents[2] / "academy"
LANGUAGES = ("en", "fr", "ar")
LABS = sorted(p.name.removesuffix(".en.py") for p in ACADEMY.glob("lab*.en.py"))
RECAP = {"en": "What you learned", "fr": "Ce que vous avez appris", "ar": "ما تعلّمته"}
EXERCISES = {"en": "## Exercises", "fr": "## Exercices", "ar": "## تمارين"}
ARABIC_LETTERS = re.compile(r"[\u0621-\u064A]")


def cells(lab: str, lang: str, kind: str) -> list[str]:
    notebook = jupytext.read(ACADEMY / f"{lab}.{lang}.py")
    return [cell.source for cell in notebook.cells if cell.cell_type == kind]


def test_the_labs_of_the_issue_exist() -> None:
    numbers = {int(re.match(r"lab(\d+)_", lab).group(1)) for lab in LABS}  # type: ignore[union-attr]
    assert set(range(8)) <= numbers


@pytest.mark.parametrize("lab", LABS)
def test_every_language_has_the_same_code_cells(lab: str) -> None:
    english = cells(lab, "en", "code")
    assert english, f"{lab}: no code cells"
    for lang in LANGUAGES[1:]:
        assert (ACADEMY / f"{lab}.{lang}.py").is_file(), f"{lab}.{lang}.py is missing"
        other = cells(lab, lang, "code")
        assert len(other) == len(english), (
            f"{lab}.{lang}: {len(other)} code cells, en has {len(english)}"
        )
        for i, (a, b) in enumerate(zip(english, other, strict=True)):
            assert a == b, f"{lab}.{lang}: code cell {i} differs; run python academy/sync_cells.py"


@pytest.mark.parametrize("lab", LABS)
def test_the_prose_is_translated(lab: str) -> None:
    english = cells(lab, "en", "markdown")
    for lang in LANGUAGES[1:]:
        prose = cells(lab, lang, "markdown")
        assert len(prose) == len(english), f"{lab}.{lang}: markdown cells differ in number"
        same = [i for i, (a, b) in enumerate(zip(english, prose, strict=True)) if a == b]
        assert not same, f"{lab}.{lang}: markdown cells {same} are the English text"
    arabic = "".join(cells(lab, "ar", "markdown"))
    assert len(ARABIC_LETTERS.findall(arabic)) > 0.5 * len(re.findall(r"\w", arabic))


@pytest.mark.parametrize("lab", LABS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_lab_ends_with_checks_a_recap_and_exercises(lab: str, lang: str) -> None:
    code = cells(lab, lang, "code")
    prose = "\n".join(cells(lab, lang, "markdown"))
    assert sum(line.lstrip().startswith("assert ") for line in code[-1].splitlines()) >= 3, (
        f"{lab}: the last code cell must check the lab's outputs"
    )
    assert "all checks passed" in code[-1]
    assert RECAP[lang] in prose and EXERCISES[lang] in prose
    exercises = prose.split(EXERCISES[lang], 1)[1]
    assert 2 <= len(re.findall(r"^\d\. ", exercises, flags=re.M)) <= 3
    assert f"solutions/{lab}.md" in exercises
    assert (ACADEMY / "solutions" / f"{lab}.md").is_file()


def test_readme_lists_every_lab() -> None:
    readme = (ACADEMY / "README.md").read_text(encoding="utf-8")
    for lab in LABS:
        for lang in LANGUAGES:
            assert f"({lab}.{lang}.py)" in readme, f"README.md does not link {lab}.{lang}.py"
    assert "waits for" not in readme, "every lab has landed: no lab is listed as waiting"
