"""Load a base model and its tokenizer: a model-store name, a ``.gguf`` file, or an HF folder.

GGUF files go through transformers' GGUF loader, which de-quantizes to float weights. A model
loaded that way refuses ``save_pretrained`` (which checkpoints and merges need), so it is rebuilt
from its config and state dict. Hub names are tried last, only when nothing local matches; the
tests never reach that branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agadir.tune.errors import BaseModelError


@dataclass
class LoadedBase:
    model: Any  # transformers PreTrainedModel (typed loosely: torch is an optional extra)
    tokenizer: Any
    source: Path | str  # the file or folder the weights came from
    kind: str  # "gguf" | "hf-dir" | "hub"


def locate(base: str, models_dir: Path | None) -> tuple[Path | str, str]:
    """Where ``base`` points: (path, kind). Raises `BaseModelError` naming what was tried."""
    path = Path(base).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path, "gguf"
    if path.is_dir() and (path / "config.json").exists():
        return path, "hf-dir"
    if path.exists():
        raise BaseModelError(f"base {base!r} is neither a .gguf file nor a folder with config.json")
    if models_dir is not None:
        from agadir.errors import ModelNotFoundError
        from agadir.models.store import ModelStore

        store = ModelStore(models_dir)
        store.ensure_packaged()  # as `agadir models list` does: the packaged GGUF is a base too
        try:
            manifest = store.get(base)
        except ModelNotFoundError:
            manifest = None
        if manifest is not None:
            return Path(manifest.path), "gguf"
    if "/" in base and not base.startswith((".", "/", "~")):
        return base, "hub"  # for users who have a hub; offline hosts fail with a clear error
    known = ""
    if models_dir is not None:
        from agadir.models.store import ModelStore

        names = [m.name for m in ModelStore(models_dir).manifests()]
        known = f" Registered models: {', '.join(names) or 'none'}."
    raise BaseModelError(
        f"unknown base model {base!r}: not a file, not a folder with config.json, not in the "
        f"model store.{known}"
    )


def _rebuild(loaded: Any) -> Any:
    """A plain model with ``loaded``'s weights, free of GGUF loading state."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_config(loaded.config)
    model.load_state_dict(loaded.state_dict())
    return model


def load_base(base: str, models_dir: Path | None, quantize_4bit: bool = False) -> LoadedBase:
    """Load weights in float32 (CPU training) and a tokenizer with a pad token."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source, kind = locate(base, models_dir)
    kwargs: dict[str, Any] = {"dtype": torch.float32}
    if quantize_4bit:
        from transformers import BitsAndBytesConfig

        kwargs = {"quantization_config": BitsAndBytesConfig(load_in_4bit=True)}
    try:
        if kind == "gguf":
            assert isinstance(source, Path)
            folder, name = str(source.parent), source.name
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            model = _rebuild(AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, **kwargs))
        else:
            tokenizer = AutoTokenizer.from_pretrained(str(source))
            model = AutoModelForCausalLM.from_pretrained(str(source), **kwargs)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise BaseModelError(f"cannot load base model {base!r} from {source}: {exc}") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedBase(model=model, tokenizer=tokenizer, source=source, kind=kind)
