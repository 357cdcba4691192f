"""llama.cpp's own Hugging Face → GGUF converters, found in the venv and run in a subprocess.

The scripts (``convert_hf_to_gguf.py``, ``convert_lora_to_gguf.py``, ``gguf-py/`` and, in recent
versions, ``conversion/``) ship only in llama-cpp-python's *source* distribution. `install`
downloads that sdist for the exact installed version and unpacks just those paths into
``<venv>/share/agadir/llama.cpp`` (``make tune-converters``, part of ``make dev``); they are never
copied into this repository. ``AGADIR_LLAMA_CPP_CONVERTERS`` points elsewhere.

The scripts run in a child Python (through `agadir.tune.convert_shim`) with the vendored
``gguf-py`` first on ``PYTHONPATH``, so they use the gguf package of their own llama.cpp and not
whatever version the venv holds. This module does not convert anything itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from agadir.tune.errors import TuneUnavailableError

ENV_VAR = "AGADIR_LLAMA_CPP_CONVERTERS"
INSTALL_COMMAND = "make tune-converters  (or: python -m agadir.tune.converter install)"
# Paths kept from the sdist's vendor/llama.cpp/ folder; anything else in it is left out.
KEPT = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "gguf-py/", "conversion/")


def default_folder() -> Path:
    """Where `install` puts the converters: inside the running venv, beside its packages."""
    return Path(sys.prefix) / "share" / "agadir" / "llama.cpp"


def llama_cpp_version() -> str:
    try:
        return version("llama-cpp-python")
    except PackageNotFoundError as exc:
        raise TuneUnavailableError(
            "llama-cpp-python is not installed; it is a core dependency: pip install agadir"
        ) from exc


@dataclass(frozen=True)
class Converters:
    folder: Path

    @property
    def hf_to_gguf(self) -> Path:
        return self.folder / "convert_hf_to_gguf.py"

    @property
    def lora_to_gguf(self) -> Path:
        return self.folder / "convert_lora_to_gguf.py"

    @property
    def version(self) -> str:
        stamp = self.folder / "VERSION"
        return stamp.read_text().strip() if stamp.exists() else "unknown"


def find_converters() -> Converters:
    """The installed converters, or an error giving the command that installs them."""
    override = os.environ.get(ENV_VAR)
    folder = Path(override).expanduser() if override else default_folder()
    missing = [
        name
        for name in ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "gguf-py")
        if not (folder / name).exists()
    ]
    if missing:
        where = f"{ENV_VAR}={folder}" if override else str(folder)
        raise TuneUnavailableError(
            f"llama.cpp's GGUF converters are not installed ({', '.join(missing)} missing in "
            f"{where}). Install them with: {INSTALL_COMMAND}"
        )
    return Converters(folder)


def run_converter(
    script: Path,
    args: Sequence[str],
    log: Path,
    *,
    pre_tokenizer: str | None = None,
    on_line: Callable[[str], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one converter script; its output goes to ``log`` (and ``on_line``), never lost.

    ``pre_tokenizer`` is the llama.cpp pre-tokenizer name to use when the converter does not
    recognise the tokenizer's hash (every newly trained or extended tokenizer): see convert_shim.
    """
    import agadir

    converters = script.parent
    package_root = Path(agadir.__file__).resolve().parents[1]
    path = [str(converters / "gguf-py"), str(converters), str(package_root)]
    if os.environ.get("PYTHONPATH"):
        path.append(os.environ["PYTHONPATH"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "PYTHONUNBUFFERED": "1"}
    env.pop("NO_LOCAL_GGUF", None)
    if pre_tokenizer:
        env["AGADIR_GGUF_PRE_TOKENIZER"] = pre_tokenizer
    command = [sys.executable, "-m", "agadir.tune.convert_shim", str(script), *args]
    lines: list[str] = []
    with log.open("a", encoding="utf-8") as out:
        out.write("$ " + " ".join(command) + "\n")
        with subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                out.write(line)
                lines.append(line)
                if on_line is not None:
                    on_line(line.rstrip())
    return subprocess.CompletedProcess(command, proc.returncode, "".join(lines), "")


def install(dest: Path | None = None, pip: Sequence[str] | None = None) -> Path:
    """Download llama-cpp-python's sdist (the installed version) and unpack the converters.

    Idempotent: a folder whose VERSION matches the installed version is left as it is.
    """
    dest = dest or default_folder()
    wanted = llama_cpp_version()
    if (dest / "VERSION").exists() and (dest / "VERSION").read_text().strip() == wanted:
        return dest
    pip = list(pip or [sys.executable, "-m", "pip"])
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                *pip,
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",  # the sdist of this package only: ":all:" would also build
                "llama-cpp-python",  # its build tools (cmake, ninja) from source
                f"llama-cpp-python=={wanted}",
                "-d",
                tmp,
            ],
            check=True,
        )
        sdists = list(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        if not sdists:
            raise TuneUnavailableError(f"pip downloaded no llama-cpp-python {wanted} sdist")
        staging = dest.with_name(dest.name + ".partial")
        _unpack(sdists[0], staging)
    if dest.exists():
        import shutil

        shutil.rmtree(dest)
    staging.rename(dest)
    (dest / "VERSION").write_text(wanted + "\n")
    return dest


def _unpack(sdist: Path, dest: Path) -> None:
    """Extract only the KEPT paths of ``vendor/llama.cpp/`` (safe members only)."""
    import shutil

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/", 1)
            if len(parts) < 2 or not parts[1].startswith("vendor/llama.cpp/"):
                continue
            rel = parts[1].removeprefix("vendor/llama.cpp/")
            if not rel.startswith(KEPT) or not (member.isfile() or member.isdir()):
                continue
            member.name = rel
            tar.extract(member, dest, filter="data")
    if not (dest / "convert_hf_to_gguf.py").exists():
        raise TuneUnavailableError(f"{sdist.name} holds no vendor/llama.cpp/convert_hf_to_gguf.py")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "install":
        print("usage: python -m agadir.tune.converter install [DEST]", file=sys.stderr)
        return 2
    dest = install(Path(args[1]) if len(args) > 1 else None)
    print(f"llama.cpp converters {llama_cpp_version()} in {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
