"""`agadir tune export` from the command line: a tiny Mixtral exported, registered with its
lineage and served by the real server; each refusal is one clear line and exit 2."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agadir.tune.errors import DiskFullError
from agadir.tune.export import disk_errors
from agadir.tune.recipe import load_tune_recipe
from agadir.tune.run import run_recipe
from tests.servers import start_server, stop_server
from tests.tune.conftest import parallel_data, write_recipe
from tests.tune.test_cli_errors import agadir
from tests.tune.test_export import converters_or_skip


def tiny_mixtral(folder: Path, tokenizer: object) -> Path:
    """A random 2-layer Mixtral with 4 experts, 2 active per token."""
    import torch
    from transformers import MixtralConfig, MixtralForCausalLM

    torch.manual_seed(0)
    config = MixtralConfig(
        vocab_size=len(tokenizer),  # type: ignore[arg-type]
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        num_local_experts=4,
        num_experts_per_tok=2,
        max_position_embeddings=256,
        sliding_window=None,
        pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
        eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
        bos_token_id=tokenizer.bos_token_id,  # type: ignore[attr-defined]
    )
    MixtralForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


def fake_full_run(folder: Path, model_dir: Path, chat: Path) -> Path:
    """A run folder as `agadir tune run` leaves it for ``method: full``, holding ``model_dir``."""
    run = folder / "run"
    shutil.copytree(model_dir, run / "final")
    (run / "recipe.yaml").write_text(
        f"name: fake\nbase: {model_dir}\nmethod: full\noutput: {run}\n"
        f"data:\n  - kind: chat\n    path: {chat}\n",
        encoding="utf-8",
    )
    return run


@pytest.fixture(scope="module")
def opt_run(tmp_path_factory: pytest.TempPathFactory, tokenizer: object) -> Path:
    """A full-fine-tuning run of a tiny OPT: an architecture llama.cpp's converter lacks."""
    import torch
    from transformers import OPTConfig, OPTForCausalLM

    folder = tmp_path_factory.mktemp("opt")
    torch.manual_seed(0)
    config = OPTConfig(
        vocab_size=len(tokenizer),  # type: ignore[arg-type]
        hidden_size=32,
        ffn_dim=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=256,
        word_embed_proj_dim=32,
    )
    OPTForCausalLM(config).save_pretrained(folder / "model")
    tokenizer.save_pretrained(folder / "model")  # type: ignore[attr-defined]
    chat = folder / "c.jsonl"
    chat.write_text('{"messages": [{"role": "user", "content": "salam"}]}\n')
    return fake_full_run(folder, folder / "model", chat)


def test_mixtral_is_exported_registered_and_served(
    tokenizer: object, shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openai

    monkeypatch.setenv("COLUMNS", "400")  # one table row per model in `models list`
    converters_or_skip()
    base = tiny_mixtral(tmp_path / "mixtral", tokenizer)
    recipe = write_recipe(
        tmp_path / "r.yaml",
        base,
        parallel_data(shared, 16),
        tmp_path / "run",
        max_steps=2,
        eval_steps=2,
        save_steps=2,
    )
    run_recipe(load_tune_recipe(recipe), models_dir=None)
    home = tmp_path / "home"
    done = agadir(
        "tune",
        "export",
        str(tmp_path / "run"),
        "--name",
        "tiny-moe",
        "--quant",
        "q8_0",
        home=home,
    )
    assert done.returncode == 0, done.stderr
    assert "tiny-moe-f16" in done.stdout and "tiny-moe-q8_0" in done.stdout
    listed = agadir("models", "list", home=home)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "tiny-moe-f16" in line)
    assert "mixtral" in row and "lora" in row  # the "from" column: base + method

    server = start_server(home, "--model", "tiny-moe-f16")
    try:
        client = openai.OpenAI(
            base_url=f"{server.base_url}/v1", api_key=server.admin_key, max_retries=0
        )
        reply = client.chat.completions.create(
            model="tiny-moe-f16",
            messages=[{"role": "user", "content": "ⴰⵣⵓⵍ, wach nta mzyan?"}],
            max_tokens=8,
            temperature=0,
        )
        assert reply.model == "tiny-moe-f16"
        assert reply.usage is not None and 0 < reply.usage.completion_tokens <= 8
        assert isinstance(reply.choices[0].message.content, str)
        assert reply.choices[0].finish_reason in ("stop", "length")
    finally:
        stop_server(server)


def test_run_without_final_is_refused(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    result = agadir("tune", "export", str(tmp_path / "run"), home=tmp_path / "home")
    assert result.returncode == 2
    assert "is not a finished tune run (no final/" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_unknown_architecture_is_refused(opt_run: Path, tmp_path: Path) -> None:
    converters_or_skip()
    result = agadir("tune", "export", str(opt_run), "--out", str(tmp_path), home=tmp_path / "h")
    message = " ".join(result.stderr.split())
    assert result.returncode == 2, result.stderr
    assert "does not know the architecture OPTForCausalLM" in message
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.gguf"))  # no half-written file left behind


def test_missing_converters_give_the_install_command(
    opt_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGADIR_LLAMA_CPP_CONVERTERS", str(tmp_path / "none"))
    result = agadir("tune", "export", str(opt_run), home=tmp_path / "home")
    message = " ".join(result.stderr.split())
    assert result.returncode == 2
    assert "GGUF converters are not installed" in message
    assert "make tune-converters" in message


def _can_mount_tmpfs(target: Path) -> bool:
    probe = ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {target}"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_full_disk_is_refused(opt_run: Path, tmp_path: Path) -> None:
    """Export into a 64 KB tmpfs (its own mount namespace): too small for the model."""
    from tests.tune.conftest import ROOT

    target = tmp_path / "small"
    target.mkdir()
    if shutil.which("unshare") is None or not _can_mount_tmpfs(target):
        pytest.skip("cannot mount a tmpfs here (no user namespaces)")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    env["AGADIR_HOME"] = str(tmp_path / "home")
    command = (
        f"mount -t tmpfs -o size=64k tmpfs {target} && "
        f"exec {sys.executable} -m agadir.cli.main tune export {opt_run} --out {target}/export"
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    message = " ".join(result.stderr.split())
    assert result.returncode == 2, result.stderr
    assert "MB is free. Free space there or pass --out" in message
    assert "Traceback" not in result.stderr


def test_enospc_from_the_kernel_becomes_a_disk_full_error(tmp_path: Path) -> None:
    """/dev/full answers every write with a real ENOSPC."""
    with (
        pytest.raises(DiskFullError) as err,
        disk_errors(tmp_path),
        open("/dev/full", "wb") as full,
    ):
        full.write(b"x" * 4096)
        full.flush()
    assert str(tmp_path) in err.value.message and "--out" in err.value.message
    assert isinstance(err.value.__cause__, OSError) and err.value.__cause__.errno == errno.ENOSPC


def test_quant_types_are_llama_cpp_names_and_unknown_ones_are_listed() -> None:
    from agadir.tune.errors import TuneRecipeError
    from agadir.tune.quantize import parse_quants

    assert parse_quants("q8_0, Q4_K_M,q8_0") == ["q8_0", "q4_k_m"]
    with pytest.raises(TuneRecipeError) as err:
        parse_quants("q8_0,q3_fancy")
    assert "unknown quantization type(s) q3_fancy" in err.value.message
    assert "q4_k_m" in err.value.message and "f16" not in err.value.message.split("allowed:")[1]
