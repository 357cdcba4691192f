"""Messages that end in what to do: models add/remove/verify, with their audit events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli import agadir
from tests.models.gguf_fixture import write_gguf
from tests.servers import RunningServer, free_port


def test_models_add_and_remove_are_audited_and_verify_says_what_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    gguf = write_gguf(tmp_path / "tiny.gguf")
    assert (
        agadir(home, "models", "add", str(gguf), "--name", "tiny", "--license", "mit").returncode
        == 0
    )
    gguf.write_bytes(gguf.read_bytes() + b"x")
    changed = agadir(home, "models", "verify", "tiny")
    assert changed.returncode == 1
    said = " ".join(changed.stdout.split())  # rich wraps long lines
    assert "Restore it from a backup" in said and "agadir models remove tiny" in said
    gguf.unlink()
    gone = agadir(home, "models", "verify", "tiny")
    assert gone.returncode == 1 and "Put the file back" in gone.stdout
    assert agadir(home, "models", "remove", "tiny").returncode == 0

    assert agadir(home, "audit", "verify").returncode == 0
    records = [json.loads(line) for line in agadir(home, "audit", "export").stdout.splitlines()]
    events = [r for r in records if r["endpoint"].startswith("cli:models.")]
    assert [e["endpoint"] for e in events] == ["cli:models.add", "cli:models.remove"]
    assert events[0]["extra"]["model"] == "tiny" and len(events[0]["extra"]["sha256"]) == 64


def test_models_add_tells_that_a_running_server_applies_it(
    tmp_path: Path, server: RunningServer
) -> None:
    port = server.base_url.rsplit(":", 1)[1]
    home = tmp_path / "home"
    home.mkdir()
    (home / "agadir.toml").write_text(f"port = {port}\n")
    gguf = write_gguf(tmp_path / "tiny.gguf")
    added = agadir(home, "models", "add", str(gguf), "--name", "tiny")
    assert added.returncode == 0, added.stderr
    said = " ".join(added.stdout.split())  # rich wraps long lines
    assert f"The server running at {server.base_url}" in said and "no restart needed" in said
    other = tmp_path / "other"
    other.mkdir()
    (other / "agadir.toml").write_text(f"port = {free_port()}\n")  # nobody listens there
    alone = agadir(other, "models", "add", str(gguf), "--name", "tiny")
    assert alone.returncode == 0 and "server running" not in alone.stdout


def test_translit_follows_the_script_of_each_line_by_default() -> None:
    from typer.testing import CliRunner

    from agadir.cli.lang import app

    result = CliRunner().invoke(app, ["translit"], input="ⴰⵣⵓⵍ\nsalam\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["azul", "سلام"]
    forced = CliRunner().invoke(app, ["translit", "-d", "tifinagh-latin"], input="ⴰⵣⵓⵍ\n")
    assert forced.output.splitlines() == ["azul"]


def test_a_missing_extra_names_the_install_command(tmp_path: Path) -> None:
    """Without datatrove, `corpus build` says which extra to install, not a traceback."""
    blocker = tmp_path / "blocked" / "datatrove"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'datatrove'\", name='datatrove')\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "AGADIR_HOME": str(tmp_path / "home"),
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path / "blocked"), os.environ.get("PYTHONPATH", "")]
        ),
        "COLUMNS": "400",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agadir.cli.main",
            "corpus",
            "build",
            str(root / "recipes/demo.yaml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "ModuleNotFoundError" not in result.stderr
    assert f"{sys.executable} -m pip install 'agadir[corpus]'" in result.stderr


def test_an_unrelated_missing_module_is_not_blamed_on_an_extra() -> None:
    from agadir.cli.extras import missing_extra_message

    assert missing_extra_message(ModuleNotFoundError("x", name="no_such_thing")) is None
    assert "agadir[tune]" in (
        missing_extra_message(ModuleNotFoundError("x", name="torch.nn")) or ""
    )


def test_an_error_stays_on_one_line_in_a_narrow_terminal(tmp_path: Path) -> None:
    """Scripts and tests match on the message: rich must not wrap it at the console's width
    (it did at 80 columns without a terminal, splitting words of long paths' messages)."""
    missing = tmp_path / "a-folder-with-a-long-name" / "and-a-model-file-that-is-not-there.gguf"
    env = {**os.environ, "AGADIR_HOME": str(tmp_path / "home"), "COLUMNS": "40"}
    env.pop("AGADIR_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", "models", "add", str(missing), "--name", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Model file not found"), done.stderr
    assert str(missing) in lines[0]
