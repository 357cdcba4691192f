"""A tiny base GGUF and two LoRA GGUF adapters that steer it differently, built with the real
PEFT and llama.cpp converters (random LoRA weights: training would only make them slower)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AdapterSet:
    hf: Path
    base: Path
    adapters: dict[str, Path]


def lora_folder(hf: Path, folder: Path, seed: int) -> Path:
    """A PEFT LoRA adapter on `hf` whose B matrices are random too, so it changes outputs."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(hf)
    config = LoraConfig(
        r=8,
        lora_alpha=32,
        target_modules=["q_proj", "v_proj", "up_proj", "down_proj"],
        init_lora_weights=False,
    )
    get_peft_model(model, config).save_pretrained(str(folder))
    return folder


def build(hf: Path, out: Path, names: dict[str, int]) -> AdapterSet:
    """``names`` maps adapter name -> seed; returns the base GGUF and one GGUF per adapter."""
    from agadir.tune.converter import find_converters, run_converter
    from agadir.tune.export import pre_tokenizer_of

    converters = find_converters()
    log = out / "convert.log"
    base = out / "base-f32.gguf"
    args = [str(hf), "--outfile", str(base), "--outtype", "f32"]
    done = run_converter(converters.hf_to_gguf, args, log, pre_tokenizer=pre_tokenizer_of(hf))
    assert done.returncode == 0, done.stdout[-2000:]
    adapters = {}
    for name, seed in names.items():
        peft_dir = lora_folder(hf, out / f"peft-{name}", seed)
        target = out / f"{name}-lora-f32.gguf"
        args = [str(peft_dir), "--base", str(hf), "--outfile", str(target), "--outtype", "f32"]
        done = run_converter(converters.lora_to_gguf, args, log)
        assert done.returncode == 0, done.stdout[-2000:]
        adapters[name] = target
    return AdapterSet(hf, base, adapters)
