"""GGUF round trip: a tuned tiny model exported by llama.cpp's converter and loaded by Agadir's
llama.cpp engine gives transformers' next-token log-probabilities and token ids."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agadir.tune.converter import find_converters
from agadir.tune.errors import TuneUnavailableError
from agadir.tune.recipe import load_tune_recipe
from agadir.tune.run import run_recipe
from tests.tune.conftest import parallel_data, write_recipe

# Darija (Arabic script), Arabizi, Tifinagh, French, and one mixing them.
TEXTS = {
    "ary_Arab": "واش نتا مزيان؟ الله يعاونك، غادي نمشيو للسوق غدا",
    "ary_Latn": "wach nta mzyan? lah y3awnek, ghadi nmchiw l souk ghda",
    "zgh_Tfng": "ⴰⵣⵓⵍ ⴼⵍⴰⴽ, ⵎⴰⵏⵉⵎⴽ ⵜⵍⵍⵉⴷ? ⵜⴰⵎⴰⵣⵉⵖⵜ",
    "fra_Latn": "Bonjour à tous, l'été sera très chaud à Agadir.",
    "mixed": "salam ⴰⵣⵓⵍ مرحبا à vous 2026",
}


def converters_or_skip() -> None:
    try:
        find_converters()
    except TuneUnavailableError as exc:
        pytest.skip(exc.message)


def train(tiny_model: Callable[[str], Path], arch: str, shared: Path, folder: Path) -> Path:
    recipe = write_recipe(
        folder / "r.yaml",
        tiny_model(arch),
        parallel_data(shared, 16),
        folder / "run",
        max_steps=4,
        eval_steps=4,
        save_steps=4,
    )
    run_recipe(load_tune_recipe(recipe), models_dir=None)
    return folder / "run"


@pytest.fixture(scope="module", params=["llama", "mistral"])
def exported(
    request: pytest.FixtureRequest,
    tiny_model: Callable[[str], Path],
    shared: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, Path]:
    """(run folder, f32 GGUF, q8_0 GGUF) of a 4-step LoRA run."""
    from agadir.tune.export import Exporter

    converters_or_skip()
    run = train(tiny_model, request.param, shared, tmp_path_factory.mktemp(request.param))
    exporter = Exporter(
        run, models_dir=None, outtype="f32", quants=["q8_0"], lora_gguf=request.param == "llama"
    )
    result = exporter.run()
    kinds = {f.kind: f.path for f in result.files}
    if request.param == "llama":
        assert kinds["lora-f32"].stat().st_size > 0
    return run, kinds["f32"], kinds["q8_0"]


def engine_for(path: Path) -> object:
    from agadir.config import LlamaCppSettings
    from agadir.engines.llamacpp import LlamaCppEngine

    return LlamaCppEngine("tuned", path, LlamaCppSettings(threads=1, contexts=1, n_ctx=256))


def top_logprobs(engine: object, ids: list[int], k: int) -> list[float]:
    """The engine's top-k next-token log-probabilities after ``ids`` (greedy, one token)."""
    from agadir.engines.base import SamplingParams

    async def one() -> list[float]:
        params = SamplingParams(max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=k)
        stream = engine.stream_complete_ids(ids, params)  # type: ignore[attr-defined]
        values: list[float] = []
        async for delta in stream:
            for lp in delta.logprobs:
                values = sorted((v for _, v in lp.top), reverse=True)
        return values

    return asyncio.run(one())


def test_token_ids_match_transformers(exported: tuple[Path, Path, Path], tokenizer: object) -> None:
    engine = engine_for(exported[1])
    try:
        for lang, text in TEXTS.items():
            ours = engine._tokenize(text, add_bos=False, special=False)  # type: ignore[attr-defined]
            theirs = tokenizer(text, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
            assert ours == theirs, lang
    finally:
        asyncio.run(engine.aclose())  # type: ignore[attr-defined]


def test_next_token_logprobs_match_transformers(
    exported: tuple[Path, Path, Path], tokenizer: object
) -> None:
    import torch

    from agadir.tune.merge import merged_model

    run, f32, q8 = exported
    model = merged_model(run, None)
    engines = {"f32": engine_for(f32), "q8_0": engine_for(q8)}
    try:
        for lang, text in TEXTS.items():
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
            with torch.no_grad():
                logits = model(torch.tensor([ids])).logits[0, -1]
            expected = torch.log_softmax(logits, -1).topk(10).values.tolist()
            got = top_logprobs(engines["f32"], ids, 10)
            # f32 weights; llama.cpp keeps its KV cache in f16, hence up to ~1e-2 apart (0.013
            # seen on the 10th logprob after a reply-only-loss adapter: 0.3 % relative)
            assert got == pytest.approx(expected, abs=2e-2), lang
            quantized = top_logprobs(engines["q8_0"], ids, 10)
            # 8-bit weights: close on average, not element-wise (random weights, wide logits)
            mean_gap = sum(abs(a - b) for a, b in zip(quantized, expected, strict=True)) / 10
            assert mean_gap < 0.1, (lang, quantized, expected)
    finally:
        for engine in engines.values():
            asyncio.run(engine.aclose())  # type: ignore[attr-defined]


def test_gguf_carries_the_chat_template_and_pre_tokenizer(
    exported: tuple[Path, Path, Path],
) -> None:
    from agadir.models.gguf import read_gguf_metadata

    meta = read_gguf_metadata(exported[1])
    assert "<|im_start|>" in str(meta.get("tokenizer.chat_template"))
    assert meta.get("tokenizer.ggml.pre") == "gpt-2"
    log = (exported[1].parent / "convert.log").read_text()
    assert "unrecognised BPE pre-tokenizer hash" in log  # the fallback was needed, and said so


def test_lineage_names_what_the_model_was_made_from(
    exported: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    from agadir.tune.export import ExportedFile, Exporter, ExportResult, register

    run, f32, _ = exported
    exporter = Exporter(run, models_dir=tmp_path, outtype="f32")
    result = ExportResult(f32.parent, f32.parent / "hf", [ExportedFile("f32", f32, 1)])
    register(result, exporter, tmp_path, "tuned")
    manifest = json.loads((tmp_path / "tuned-f32.json").read_text())
    lineage = manifest["lineage"]
    assert len(lineage["base"]["sha256"]) == 64
    assert lineage["recipe"]["method"] == "lora"
    assert lineage["data"][0]["examples_used"] == 16 and len(lineage["data"][0]["sha256"]) == 64
    assert lineage["data_report"]["train"] + lineage["data_report"]["eval"] == 16
    assert manifest["license"] == "unknown; data: unknown"
    assert manifest["evals"] == []  # the slot `agadir eval --record` fills


# --lora-gguf is exported in the llama case only (one architecture is enough for the adapter)
@pytest.mark.parametrize("exported", ["llama"], indirect=True)
def test_lora_gguf_is_an_adapter_llama_cpp_loads(exported: tuple[Path, Path, Path]) -> None:
    import llama_cpp

    lora = exported[1].parent / "test-lora-f32.gguf"
    assert lora.exists(), "the llama export writes its LoRA GGUF"
    engine = engine_for(exported[1])
    try:
        adapter = llama_cpp.llama_adapter_lora_init(
            engine.model.model,  # type: ignore[attr-defined]
            str(lora).encode(),
        )
        assert adapter, "llama.cpp refused the LoRA GGUF"
        assert llama_cpp.llama_adapter_meta_count(adapter) > 0
        llama_cpp.llama_adapter_lora_free(adapter)
    finally:
        asyncio.run(engine.aclose())  # type: ignore[attr-defined]


@pytest.mark.parametrize("exported", ["llama"], indirect=True)  # once is enough
def test_a_run_on_a_gguf_base_exports(
    exported: tuple[Path, Path, Path], shared: Path, tmp_path: Path, tokenizer: object
) -> None:
    """The packaged-model path: a GGUF base (here the f32 export itself) tuned, then exported."""
    from agadir.tune.export import Exporter

    f32 = exported[1]
    recipe = write_recipe(
        tmp_path / "r.yaml",
        f32,
        parallel_data(shared, 8),
        tmp_path / "run",
        max_steps=1,
        eval_steps=1,
        save_steps=1,
    )
    run_recipe(load_tune_recipe(recipe), models_dir=None)
    result = Exporter(tmp_path / "run", models_dir=None, outtype="f32").run()
    config = json.loads((result.hf_folder / "config.json").read_text())
    assert "quantization_config" not in config  # de-quantized floats, not "gguf" weights
    engine = engine_for(result.files[0].path)
    try:
        for lang, text in TEXTS.items():
            ours = engine._tokenize(text, add_bos=False, special=False)  # type: ignore[attr-defined]
            theirs = tokenizer(text, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
            assert ours == theirs, lang
    finally:
        asyncio.run(engine.aclose())  # type: ignore[attr-defined]
