"""Task files: the shipped ones load; bad ones fail with a message saying what to fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agadir.evals.errors import TaskError
from agadir.evals.task import ALLOWED_KEYS, builtin_tasks, load_task, resolve
from tests.evals.conftest import write_task

SAMPLES = [{"id": "1", "source": "salam", "target": "سلام"}]


def test_every_shipped_task_loads_and_is_small() -> None:
    shipped = builtin_tasks()
    assert {
        "translate-ary_Arab-eng",
        "translate-eng-ary_Arab",
        "translate-ary_Latn-eng",
        "translate-zgh_Tfng-eng",
        "translate-eng-zgh_Tfng",
        "translate-arb_Arab-eng",
        "translate-eng-arb_Arab",
        "translit-arabizi-arabic",
        "mcq-darija-translation",
        "grounded-qa-packs",
        "fidelity-script-language",
        "pii-echo",
    } <= set(shipped)
    for path in shipped.values():
        task = load_task(path)
        assert 10 <= len(task.samples) <= 300, task.name
        assert task.spec.licence != "unknown" and task.spec.source
        task.render(task.samples[0])


def test_unknown_key_names_the_allowed_ones(tmp_path: Path) -> None:
    path = write_task(tmp_path, "t", SAMPLES, slice=["lang"])
    with pytest.raises(TaskError) as err:
        load_task(path)
    assert "unknown key(s) slice" in err.value.message
    assert all(key in err.value.message for key in ALLOWED_KEYS)


@pytest.mark.parametrize(
    ("spec", "samples", "expected"),
    [
        ({"scorer": "bleurt"}, SAMPLES, "unknown scorer 'bleurt'; available:"),
        ({"prompt": "{sourse}"}, SAMPLES, "lacks field(s) sourse"),
        ({"slices": ["lang"]}, SAMPLES, "lacks field(s) lang"),
        ({"max_tokens": 0}, SAMPLES, "max_tokens"),
        ({}, [{"source": "x", "target": "y"}], "each sample is a JSON object with an 'id'"),
        ({}, SAMPLES * 2, "duplicate sample id '1'"),
        (
            {"request": "mcq", "scorer": "mcq"},
            [{"id": "1", "source": "a", "target": "b", "choices": ["a"], "answer": 0}],
            "'choices' needs 2+",
        ),
    ],
)
def test_bad_task_files_say_what_to_fix(
    tmp_path: Path, spec: dict[str, object], samples: list[dict[str, object]], expected: str
) -> None:
    with pytest.raises(TaskError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_task(write_task(tmp_path, "t", samples, **spec))


def test_unreadable_files(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "a.yaml"
    bad_yaml.write_text("name: [unclosed")
    with pytest.raises(TaskError, match="not a readable YAML"):
        load_task(bad_yaml)
    path = write_task(tmp_path, "b", SAMPLES)
    (tmp_path / "b.jsonl").write_text('{"id": 1, "source": "x"\n')
    with pytest.raises(TaskError, match=r"b.jsonl:1: not a JSON object"):
        load_task(path)
    path.write_text(path.read_text().replace("samples: b.jsonl", "samples: missing.jsonl"))
    with pytest.raises(TaskError, match=r"samples file 'missing\.jsonl' not found"):
        load_task(path)
    with pytest.raises(TaskError, match=r"No task 'nope'.*shipped tasks: .*pii-echo"):
        resolve("nope")


def test_cli_exits_non_zero_on_a_bad_task(tmp_path: Path) -> None:
    path = write_task(tmp_path, "t", SAMPLES, colour="red")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agadir.cli.main",
            "eval",
            "run",
            str(path),
            "-m",
            "echo",
            "--endpoint",
            "http://127.0.0.1:9/v1",
            "--cache",
            str(tmp_path / "c.sqlite"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "unknown key(s) colour" in done.stderr
