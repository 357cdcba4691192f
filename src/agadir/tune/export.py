"""`agadir tune export RUN`: a finished run → merged HF folder → GGUF (+ quantized copies).

Steps, each a bar on the console: fold the adapter into the base (`merge.merged_model`), save it
as a Hugging Face folder, convert it with llama.cpp's own ``convert_hf_to_gguf.py``, quantize
with ``llama_model_quantize``, optionally convert the LoRA adapter with
``convert_lora_to_gguf.py``, then register every model GGUF in the store with its lineage.
Nothing is registered unless every file was written; the converters' output is kept in
``convert.log``. Free space is checked before writing, and a full disk met anyway (another
writer) ends as `DiskFullError`, never as a half-registered model.
"""

from __future__ import annotations

import errno
import json
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from agadir.tune.converter import Converters, find_converters, run_converter
from agadir.tune.errors import (
    DiskFullError,
    ExportError,
    TuneRecipeError,
    UnknownArchitectureError,
)
from agadir.tune.quantize import CONVERTER_TYPES, quantize

_DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_DISK_MESSAGES = ("No space left on device", "File too large", "Disk quota exceeded")
# bytes per parameter of each output, for the free-space check (quant sizes are upper bounds)
_BYTES_PER_PARAM = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "q8_0": 1.07}


@dataclass
class ExportedFile:
    kind: str  # "f16", "q8_0", "lora-f16"…
    path: Path
    size_bytes: int
    registered_as: str | None = None


@dataclass
class ExportResult:
    folder: Path
    hf_folder: Path
    files: list[ExportedFile] = field(default_factory=list)
    wall_s: float = 0.0


def pre_tokenizer_of(hf_folder: Path) -> str | None:
    """llama.cpp's pre-tokenizer name for a tokenizer.json whose structure we can read.

    Only a plain byte-level BPE (GPT-2's split regex, no prefix space) is mapped, to "gpt-2";
    anything else is left to the converter's own hash table (``--pre-tokenizer`` overrides).
    """
    path = hf_folder / "tokenizer.json"
    if not path.is_file():
        return None
    pre = json.loads(path.read_text(encoding="utf-8")).get("pre_tokenizer") or {}
    if (
        pre.get("type") == "ByteLevel"
        and pre.get("use_regex", True)
        and not pre.get("add_prefix_space", False)
    ):
        return "gpt-2"
    return None


@contextmanager
def disk_errors(folder: Path) -> Iterator[None]:
    """Turn ENOSPC / EFBIG / EDQUOT into one message naming the folder and the fix."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _DISK_ERRNOS:
            raise _disk_full(folder, exc.strerror or str(exc)) from exc
        raise
    except RuntimeError as exc:  # torch's safetensors writer wraps the OSError
        if any(m in str(exc) for m in _DISK_MESSAGES):
            raise _disk_full(folder, str(exc)) from exc
        raise


def _disk_full(folder: Path, detail: str) -> DiskFullError:
    return DiskFullError(
        f"the disk holding {folder} is full ({detail}). Free space there or pass "
        "--out to a folder on a larger disk, then rerun `agadir tune export`."
    )


def check_free_space(
    folder: Path, n_params: int, outputs: Sequence[str], *, hf_saved: bool = False
) -> None:
    """Refuse to start when the float32 HF folder (unless ``hf_saved``) and every GGUF cannot
    fit, with a 10 % margin."""
    hf = 0.0 if hf_saved else 4.0
    need = n_params * (hf + sum(_BYTES_PER_PARAM.get(o, 1.0) for o in outputs)) * 1.1
    free = shutil.disk_usage(folder).free
    if free < need:
        raise DiskFullError(
            f"exporting needs about {need / 1e6:,.0f} MB in {folder} and only "
            f"{free / 1e6:,.0f} MB is free. Free space there or pass --out to a folder on a "
            "larger disk."
        )


def save_plain(model: Any, tokenizer: Any, folder: Path) -> None:
    """Save a float model as a Hugging Face folder the converter reads as plain weights.

    A model that came from a GGUF base keeps ``quantization_config: {quant_method: gguf}`` in
    its config although its weights are de-quantized floats; llama.cpp's converter would then
    refuse it ("Quant method is not yet supported: 'gguf'"), so that entry is dropped.
    """
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    quant = config.get("quantization_config") or {}
    if quant.get("quant_method") == "gguf":
        del config["quantization_config"]
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")


def _converter_failure(output: str, what: str, log: Path, hf_folder: Path) -> ExportError:
    config = json.loads((hf_folder / "config.json").read_text(encoding="utf-8"))
    arch = ", ".join(config.get("architectures") or ["?"])
    if "not supported" in output and (
        f"{arch} is not supported" in output or "Architecture" in output
    ):
        return UnknownArchitectureError(
            f"llama.cpp's GGUF converter does not know the architecture {arch}, so this model "
            "cannot be served by llama.cpp. Tune a base of an architecture it supports "
            "(Llama, Mistral, Mixtral, Qwen2, Gemma…), or upgrade llama-cpp-python and rerun "
            f"`make tune-converters`. Converter output: {log}"
        )
    if "pre-tokenizer was not recognized" in output:
        return ExportError(
            "llama.cpp's converter does not recognise this tokenizer's pre-tokenizer; pass "
            f"--pre-tokenizer NAME (a llama.cpp pre-tokenizer, e.g. gpt-2, llama-bpe). See {log}"
        )
    for message in _DISK_MESSAGES:
        if message in output:
            return _disk_full(log.parent, message)
    tail = "\n".join(output.strip().splitlines()[-5:])
    return ExportError(f"{what} failed; last lines of {log}:\n{tail}")


class Exporter:
    """One export of one run; `run` does the whole thing."""

    def __init__(
        self,
        run_folder: Path,
        *,
        models_dir: Path | None,
        out: Path | None = None,
        outtype: str = "f16",
        quants: Sequence[str] = (),
        lora_gguf: bool = False,
        pre_tokenizer: str | None = None,
        console: Console | None = None,
    ) -> None:
        from agadir.tune.merge import run_recipe_of

        if outtype not in CONVERTER_TYPES:
            raise TuneRecipeError(f"unknown --outtype {outtype!r}; allowed: f16, f32, bf16")
        self.run_folder = run_folder.resolve()
        self.recipe = run_recipe_of(self.run_folder)
        if lora_gguf and self.recipe.method not in ("lora", "qlora"):
            raise TuneRecipeError(
                f"--lora-gguf needs a LoRA run; this run's method is {self.recipe.method}"
            )
        self.converters: Converters = find_converters()
        self.models_dir = models_dir
        self.out = (out or self.run_folder / "export").resolve()
        self.outtype = outtype
        self.quants = list(quants)
        self.lora_gguf = lora_gguf
        self.pre_tokenizer = pre_tokenizer
        self.console = console or Console(stderr=True)
        self.stem = self.recipe.name.replace(" ", "-")
        self.log = self.out / "convert.log"

    def run(self) -> ExportResult:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our bar replaces the per-file ones
        started = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        self.log.write_text("", encoding="utf-8")
        hf = self.out / "hf"
        result = ExportResult(self.out, hf)
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.console) as progress:
            steps = 2 + len(self.quants) + int(self.lora_gguf)
            task = progress.add_task("merging the adapter into the base", total=steps)
            with disk_errors(self.out):
                n_params = self._save_merged(hf)
                # the HF folder is written now: is there room left for every GGUF?
                check_free_space(self.out, n_params, [self.outtype, *self.quants], hf_saved=True)
                progress.update(task, advance=1, description="converting to GGUF")
                floats = self._convert(hf)
                result.files.append(ExportedFile(self.outtype, floats, floats.stat().st_size))
                progress.advance(task)
                for kind in self.quants:
                    progress.update(task, description=f"quantizing to {kind}")
                    target = self.out / f"{self.stem}-{kind}.gguf"
                    quantize(floats, target, kind)
                    result.files.append(ExportedFile(kind, target, target.stat().st_size))
                    progress.advance(task)
                if self.lora_gguf:
                    progress.update(task, description="converting the LoRA adapter")
                    lora = self._convert_lora()
                    result.files.append(
                        ExportedFile(f"lora-{self.outtype}", lora, lora.stat().st_size)
                    )
                    progress.advance(task)
        result.wall_s = time.perf_counter() - started
        return result

    def _save_merged(self, hf: Path) -> int:
        from transformers import AutoTokenizer

        from agadir.tune.merge import merged_model

        model = merged_model(self.run_folder, self.models_dir)
        n_params = int(model.num_parameters())
        check_free_space(self.out, n_params, [self.outtype, *self.quants])
        if hf.exists():
            shutil.rmtree(hf)
        save_plain(model, AutoTokenizer.from_pretrained(str(self.run_folder / "final")), hf)
        return n_params

    def _pre_tokenizer(self, hf: Path) -> str | None:
        return self.pre_tokenizer or pre_tokenizer_of(hf)

    def _convert(self, hf: Path) -> Path:
        target = self.out / f"{self.stem}-{self.outtype}.gguf"
        args = [str(hf), "--outfile", str(target), "--outtype", self.outtype]
        done = run_converter(
            self.converters.hf_to_gguf, args, self.log, pre_tokenizer=self._pre_tokenizer(hf)
        )
        if done.returncode != 0 or not target.is_file():
            target.unlink(missing_ok=True)
            raise _converter_failure(done.stdout, "convert_hf_to_gguf.py", self.log, hf)
        return target

    def _lora_base(self) -> Path:
        """An HF folder of the base, which convert_lora_to_gguf.py reads shapes from."""
        from agadir.tune.base import load_base, locate

        source, kind = locate(self.recipe.base, self.models_dir)
        if kind == "hf-dir" and isinstance(source, Path):
            return source
        folder = self.out / "base-hf"
        if not (folder / "config.json").exists():
            base = load_base(self.recipe.base, self.models_dir)
            save_plain(base.model, base.tokenizer, folder)
        return folder

    def _convert_lora(self) -> Path:
        target = self.out / f"{self.stem}-lora-{self.outtype}.gguf"
        base = self._lora_base()
        args = [
            str(self.run_folder / "final"),
            "--base",
            str(base),
            "--outfile",
            str(target),
            "--outtype",
            self.outtype,
        ]
        done = run_converter(self.converters.lora_to_gguf, args, self.log)
        if done.returncode != 0 or not target.is_file():
            target.unlink(missing_ok=True)
            raise _converter_failure(done.stdout, "convert_lora_to_gguf.py", self.log, base)
        return target


def register(
    result: ExportResult,
    exporter: Exporter,
    models_dir: Path,
    name: str,
    *,
    replace: bool = False,
) -> None:
    """Register each model GGUF (not the LoRA adapter) as ``NAME-KIND`` with its lineage."""
    from agadir.models.store import ModelStore
    from agadir.tune.lineage import build_lineage, inherited_license

    store = ModelStore(models_dir)
    store.ensure_packaged()
    version = exporter.converters.version
    for exported in result.files:
        if exported.kind.startswith("lora-"):
            continue
        gguf: dict[str, Any] = {
            "type": exported.kind,
            "from": f"{exporter.outtype} GGUF" if exported.kind != exporter.outtype else "hf",
            "converter": f"llama.cpp convert_hf_to_gguf.py (llama-cpp-python {version})",
        }
        lineage = build_lineage(exporter.run_folder, exporter.recipe, models_dir, gguf)
        model_name = f"{name}-{exported.kind}"
        store.add(
            exported.path,
            name=model_name,
            license=inherited_license(lineage),
            source=f"agadir tune export {exporter.run_folder}",
            lineage=lineage,
            replace=replace,
        )
        exported.registered_as = model_name
