"""Bad recipes, missing data and unknown bases end in one clear line and a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agadir.tune.data import load_split
from agadir.tune.errors import TuneRecipeError
from agadir.tune.recipe import ChatData, load_tune_recipe
from tests.tune.conftest import ROOT, write_recipe


def agadir(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "AGADIR_HOME": str(home),
    }
    return subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_unknown_key_names_allowed_keys(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: x\nbase: b\noutput: o\ndata:\n  - kind: chat\n    path: c.jsonl\n    bogus: 1\n"
        "train:\n  lr: 1\n"
    )
    with pytest.raises(TuneRecipeError) as err:
        load_tune_recipe(recipe)
    assert (
        "'data.0.chat.bogus'; allowed here: kind, license, max_examples, path" in err.value.message
    )
    assert "'train.lr'" in err.value.message and "learning_rate" in err.value.message


def test_bad_lines_are_counted_with_file_and_line(tmp_path: Path) -> None:
    chat = tmp_path / "c.jsonl"
    turns = [{"role": "user", "content": "salam"}, {"role": "assistant", "content": "ⴰⵣⵓⵍ"}]
    good = json.dumps({"messages": turns}, ensure_ascii=False)
    chat.write_text(
        f"{good}\nnot json\n{good}\n" + '{"messages": [{"role": "user", "content": "x"}]}\n'
    )
    split = load_split([ChatData(kind="chat", path=chat)], {}, 0.3, 0)
    assert len(split.train) + len(split.eval) == 2
    assert [(b.line, b.reason.split(" ")[0]) for b in split.report.bad] == [(2, "not"), (4, "no")]
    assert all(b.file == chat for b in split.report.bad)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unknown_key", "unknown key 'lora.rank'"),
        ("missing_data", "does not exist"),
        ("unknown_base", "unknown base model 'no-such-model'"),
        ("qlora_cpu", "QLoRA needs bitsandbytes and a CUDA GPU"),
    ],
)
def test_cli_refuses_clearly(case: str, expected: str, tmp_path: Path, tiny_model: object) -> None:
    chat = tmp_path / "c.jsonl"
    line = '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}'
    chat.write_text(f"{line}\n{line}\n{line}\n")
    data = f"  - kind: chat\n    path: {chat}"
    base: object = tiny_model("llama")  # type: ignore[operator]
    recipe = write_recipe(tmp_path / "r.yaml", base, data, tmp_path / "out")
    text = recipe.read_text()
    if case == "unknown_key":
        text = text.replace("  r: 8", "  rank: 8")
    elif case == "missing_data":
        text = text.replace(str(chat), str(tmp_path / "nope.jsonl"))
    elif case == "unknown_base":
        text = text.replace(f"base: {base}", "base: no-such-model")
    else:
        text = text.replace("method: lora", "method: qlora")
    recipe.write_text(text)
    result = agadir("tune", "run", str(recipe), home=tmp_path / "home")
    assert result.returncode == 2, result.stderr
    assert expected in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr


def test_missing_extra_gives_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from agadir.tune import deps
    from agadir.tune.errors import TuneUnavailableError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        deps.importlib.util, "find_spec", lambda name: None if name == "trl" else real(name)
    )
    with pytest.raises(TuneUnavailableError) as err:
        deps.require_tune_extra()
    assert "trl missing" in err.value.message
    assert "pip install 'torch==2.13.0' && pip install 'agadir[tune]'" in err.value.message
