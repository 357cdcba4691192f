"""The CLI as a user meets it: real subprocesses, exit codes, messages that say what to fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.models.gguf_fixture import write_gguf


def agadir(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGADIR_HOME": str(home), "COLUMNS": "200"}
    env.pop("AGADIR_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=home.parent,
    )


def test_models_add_list_verify(tmp_path: Path) -> None:
    home = tmp_path / "home"
    gguf = write_gguf(tmp_path / "tiny.gguf")
    added = agadir(home, "models", "add", str(gguf), "--name", "tiny", "--license", "mit")
    assert added.returncode == 0, added.stderr
    assert "registered tiny" in added.stdout
    listing = agadir(home, "models", "list")
    assert "tiny" in listing.stdout and "smollm2-135m-instruct" in listing.stdout
    assert agadir(home, "models", "verify", "tiny").returncode == 0
    gguf.write_bytes(gguf.read_bytes() + b"x")
    failed = agadir(home, "models", "verify", "tiny")
    assert failed.returncode == 1 and "FAILED" in failed.stdout


def test_bad_model_file_gets_a_message_not_a_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_text("not a model")
    result = agadir(tmp_path / "home", "models", "add", str(junk), "--name", "junk")
    assert result.returncode == 2
    assert "not a GGUF file" in result.stderr and "Traceback" not in result.stderr
    missing = agadir(tmp_path / "home", "models", "add", str(tmp_path / "nope.gguf"), "--name", "n")
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_serve_refuses_a_missing_model_file_with_a_fix(tmp_path: Path) -> None:
    home = tmp_path / "home"
    gguf = write_gguf(tmp_path / "gone.gguf")
    assert agadir(home, "models", "add", str(gguf), "--name", "gone").returncode == 0
    gguf.unlink()
    result = agadir(home, "serve", "--model", "gone", "--port", "9")
    assert result.returncode == 2
    assert "missing" in result.stderr and "agadir models add" in result.stderr
    unknown = agadir(home, "serve", "--model", "nobody", "--port", "9")
    assert unknown.returncode == 2 and "does not exist" in unknown.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = agadir(tmp_path / "home", "models", "add")
    assert result.returncode == 2 and "Missing argument" in result.stderr


def test_config_show_and_doctor(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shown = agadir(home, "config", "show")
    assert shown.returncode == 0
    data = json.loads(shown.stdout)
    assert data["home"] == str(home.resolve()) and data["egress_allow"] == []
    doctor = agadir(home, "doctor")
    assert doctor.returncode == 0, doctor.stdout
    assert "llama-cpp-python" in doctor.stdout and "deny all but loopback" in doctor.stdout


def test_config_file_and_env_precedence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "agadir.toml").write_text("port = 9001\n[llamacpp]\ncontexts = 2\n")
    data = json.loads(agadir(home, "config", "show").stdout)
    assert data["port"] == 9001 and data["llamacpp"]["contexts"] == 2
    (home / "agadir.toml").write_text("prot = 1\n")
    typo = agadir(home, "config", "show")
    assert typo.returncode != 0 and "prot" in (typo.stderr + typo.stdout)
