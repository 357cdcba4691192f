"""Tiny random-weight models and a BPE tokenizer trained here on shared Darija/Tifinagh/French
lines: real transformers / TRL / PEFT code paths in seconds, with no hub and no download."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="needs the tune extra")

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("ary_Arab", "ary_Latn", "zgh_Tfng", "fra_Latn")
SPECIALS = ["<pad>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def shared_data() -> Path:
    """The licensed data folder: $AGADIR_SHARED_DATA, else ../shared/data beside the checkout."""
    candidates = [os.environ.get("AGADIR_SHARED_DATA", "")]
    candidates += [str(p / "shared" / "data") for p in ROOT.parents[:2]]
    for candidate in candidates:
        if candidate and (Path(candidate) / "lid" / "dev.tsv").exists():
            return Path(candidate)
    pytest.skip("shared data not found: set AGADIR_SHARED_DATA")


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_data()


@pytest.fixture(scope="session")
def sample_lines(shared: Path) -> list[str]:
    """40 lines per language from the shared LID dev set."""
    per_lang: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for row in (shared / "lid" / "dev.tsv").read_text(encoding="utf-8").splitlines():
        lang, _, text = row.partition("\t")
        if lang in per_lang and len(per_lang[lang]) < 40:
            per_lang[lang].append(text)
    return [line for lines in per_lang.values() for line in lines]


@pytest.fixture(scope="session")
def tokenizer(sample_lines: list[str]) -> object:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from agadir.tune.run import FALLBACK_CHAT_TEMPLATE

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(sample_lines, trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        pad_token="<pad>",
        eos_token="<|im_end|>",
        bos_token="<|endoftext|>",
    )
    tok.chat_template = FALLBACK_CHAT_TEMPLATE
    return tok


ARCHES = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", {}),
    "mistral": ("MistralConfig", "MistralForCausalLM", {"sliding_window": None}),
}


@pytest.fixture(scope="session")
def tiny_model(
    tmp_path_factory: pytest.TempPathFactory, tokenizer: object
) -> Callable[[str], Path]:
    """``tiny_model("llama")`` saves a 2-layer random model + the tokenizer, returns the folder."""
    import torch
    import transformers

    made: dict[str, Path] = {}

    def build(arch: str) -> Path:
        if arch in made:
            return made[arch]
        config_name, model_name, extra = ARCHES[arch]
        torch.manual_seed(0)
        config = getattr(transformers, config_name)(
            vocab_size=len(tokenizer),  # type: ignore[arg-type]
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=256,
            initializer_range=0.3,  # wide logits: LoRA can move them without touching lm_head
            pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
            eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
            bos_token_id=tokenizer.bos_token_id,  # type: ignore[attr-defined]
            **extra,
        )
        model = getattr(transformers, model_name)(config)
        folder = tmp_path_factory.mktemp(f"tiny-{arch}")
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]
        made[arch] = folder
        return folder

    return build


def write_recipe(path: Path, base: Path | str, data: str, output: Path, **train: object) -> Path:
    """A small LoRA recipe; ``train`` overrides the train block."""
    settings = {
        "max_steps": 20,
        "learning_rate": 0.05,
        "batch_size": 4,
        "max_length": 96,
        "logging_steps": 1,
        "eval_steps": 10,
        "save_steps": 10,
        "early_stop_patience": None,
        **train,
    }
    block = "\n".join(f"  {k}: {'null' if v is None else v}" for k, v in settings.items())
    path.write_text(
        f"name: test\nbase: {base}\nmethod: lora\ndevice: cpu\noutput: {output}\n"
        f"data:\n{data}\nlora:\n  r: 8\n  alpha: 16\n  dropout: 0.0\ntrain:\n{block}\n"
        # the bare text as prompt: with the 600-token test BPE, the default English instruction
        # alone fills max_length and would push every reply out of the (assistant-only) loss
        "templates:\n  default: '{text}'\n",
        encoding="utf-8",
    )
    return path


def parallel_data(shared: Path, n: int = 64) -> str:
    src = shared / "parallel" / "nllb_seed_multiway.dev.tsv"
    return (
        f"  - kind: parallel\n    path: {src}\n    source: ary_Arab\n    target: zgh_Tfng\n"
        f"    max_examples: {n}"
    )


def steps_recipe(
    path: Path, base: Path, shared: Path, out: Path, n: int, steps: int, every: int | None = None
) -> Path:
    """`write_recipe` on ``n`` parallel prompts for ``steps`` steps, evaluating and saving
    every ``every`` steps (at the end when None)."""
    every = every or steps
    return write_recipe(
        path, base, parallel_data(shared, n), out, max_steps=steps, eval_steps=every,
        save_steps=every,
    )  # fmt: skip
