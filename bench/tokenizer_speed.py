"""Serving speed of an extended tokenizer: decode tokens/s and characters/s on Tifinagh.

The two stage 1+2 runs of `tokenizer_cost` (packaged SmolLM2 and its zgh_Tfng extension, same
recipe and budget) are exported by `agadir tune export`'s own code (merge, llama.cpp converter,
same quantisation), registered in one model store and served by one `agadir serve` (llama.cpp
engine). Requests alternate between the two models, each given the same Tifinagh prompt (the
start of a held-out LID DEV line), greedy, streamed through `/v1/completions`.

Decode speed is measured from the first streamed text to the end: tokens are the server's
``usage.completion_tokens`` minus one, characters those of the text after the first chunk. The
user-visible figure is characters/s: the same tokens/s buys more Tifinagh when a token holds
more of it. The share of Tifinagh letters in the output is reported too, since a model that
drifts into another script would make characters/s mean something else.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from serve_harness import ROOT, Server, agadir_server, load1

VARIANTS = ("base", "extended")


@dataclass
class Completion:
    variant: str
    tokens: int
    chars: int  # characters after the first chunk (the decode window)
    decode_s: float
    tifinagh_share: float
    text: str = ""

    @property
    def tok_s(self) -> float:
        return (self.tokens - 1) / self.decode_s if self.decode_s > 0 else 0.0

    @property
    def chars_s(self) -> float:
        return self.chars / self.decode_s if self.decode_s > 0 else 0.0


def convert_untrained(work: Path, quant: str) -> dict[str, Path]:
    """The two models before any training (base and mean-initialised extension), converted by
    the same llama.cpp converter and quantizer `tune export` uses. Decode tok/s does not depend
    on training; what the model writes does, so the Tifinagh share column matters here."""
    from agadir.tune.converter import find_converters, run_converter
    from agadir.tune.export import pre_tokenizer_of
    from agadir.tune.quantize import quantize

    script = find_converters().hf_to_gguf
    out: dict[str, Path] = {}
    for variant in VARIANTS:
        hf = work / f"{variant}-hf"
        folder = work / f"convert-{variant}"
        target = folder / f"untrained-{variant}-{quant}.gguf"
        if not target.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            floats = folder / f"untrained-{variant}-f16.gguf"
            args = [str(hf), "--outfile", str(floats), "--outtype", "f16"]
            done = run_converter(
                script, args, folder / "convert.log", pre_tokenizer=pre_tokenizer_of(hf)
            )
            if done.returncode != 0:
                raise RuntimeError(f"convert_hf_to_gguf.py failed, see {folder / 'convert.log'}")
            quantize(floats, target, quant)
        out[variant] = target
    return out


def export_runs(work: Path, quant: str) -> dict[str, Path]:
    """Each stage 1+2 run exported to GGUF (f16, then ``quant``); reused when already there."""
    from rich.console import Console

    from agadir.tune.export import Exporter

    out: dict[str, Path] = {}
    for variant in VARIANTS:
        folder = work / f"export-{variant}"
        target = folder / f"cost-{variant}-{quant}.gguf"
        if not target.is_file():
            exporter = Exporter(
                work / f"run-{variant}",
                models_dir=None,
                out=folder,
                quants=[quant],
                console=Console(stderr=True),
            )
            exporter.run()
        out[variant] = target
    return out


def _tifinagh_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(0x2D30 <= ord(c) <= 0x2D7F for c in letters) / len(letters) if letters else 0.0


def complete(server: Server, model: str, prompt: str, max_tokens: int) -> Completion:
    """One greedy streamed text completion, timed from its first text chunk."""
    body = {
        "model": model,
        "prompt": prompt,
        "temperature": 0,
        "max_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    first: float | None = None
    pieces: list[str] = []
    tokens = 0
    url = server.base + "/v1/completions"
    with httpx.stream("POST", url, json=body, headers=server.headers, timeout=300) as resp:
        if resp.status_code != 200:
            raise RuntimeError(f"{model}: HTTP {resp.status_code}: {resp.read()[:300]!r}")
        for line in resp.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            obj = json.loads(line[6:])
            if obj.get("usage"):
                tokens = obj["usage"]["completion_tokens"]
            for choice in obj.get("choices") or []:
                if choice.get("text"):
                    if first is None:
                        first = time.perf_counter()
                    pieces.append(choice["text"])
    end = time.perf_counter()
    text = "".join(pieces[1:])
    decode_s = end - first if first is not None else 0.0
    whole = "".join(pieces)
    return Completion(model, tokens, len(text), decode_s, _tifinagh_share(whole), whole)


def measure_speed(
    work: Path, dev: list[str], reps: int, max_tokens: int, quant: str, untrained: bool
) -> dict[str, Any]:
    """Alternating completions on one `agadir serve`; medians per variant."""
    from agadir.models.store import ModelStore

    ggufs = convert_untrained(work, quant) if untrained else export_runs(work, quant)
    home = work / "serve-home"
    store = ModelStore(home / "models")
    for variant, path in ggufs.items():
        store.add(path, name=f"tfng-{variant}", source="bench_tokenizer", replace=True)
    env = {**os.environ, "AGADIR_HOME": str(home), "AGADIR_LLAMACPP__THREADS": "2"}
    env.pop("AGADIR_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    server = agadir_server(env, work, "--model", "tfng-base")
    runs: list[Completion] = []
    try:
        for variant in VARIANTS:  # warm-up: load both models before timing
            complete(server, f"tfng-{variant}", dev[0][:40], 8)
        for rep in range(reps):
            prompt = dev[1 + rep][:60]
            order = VARIANTS if rep % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                done = complete(server, f"tfng-{variant}", prompt, max_tokens)
                done.variant = variant
                runs.append(done)
                print(
                    f"{variant}: {done.tokens} tokens, {done.chars} chars, {done.tok_s:.1f} tok/s, "
                    f"{done.chars_s:.1f} chars/s, load {load1()}",
                    file=sys.stderr,
                )
    finally:
        server.stop()
    sizes = {v: ggufs[v].stat().st_size for v in VARIANTS}
    texts = [{"variant": r.variant, "text": r.text} for r in runs]
    (work / "speed-texts.json").write_text(json.dumps(texts, ensure_ascii=False, indent=1))
    stage = "untrained" if untrained else "stage 1+2"
    return {"runs": runs, "quant": quant, "sizes": sizes, "max_tokens": max_tokens, "stage": stage}


def speed_table(result: dict[str, Any]) -> str:
    """Markdown: medians of decode tok/s and chars/s per variant, and extended ÷ base."""
    runs: list[Completion] = result["runs"]
    med: dict[str, dict[str, float]] = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r.variant == variant]
        med[variant] = {
            "tok_s": statistics.median(r.tok_s for r in mine),
            "chars_s": statistics.median(r.chars_s for r in mine),
            "chars_per_tok": sum(r.chars for r in mine) / max(1, sum(r.tokens - 1 for r in mine)),
            "tfng": statistics.median(r.tifinagh_share for r in mine),
            "n": len(mine),
        }
    lines = [
        f"{result['stage']} models, {result['quant']} GGUFs, greedy, "
        f"{result['max_tokens']} tokens a completion, medians over alternating requests on "
        "one `agadir serve`.",
        "",
        "| model | GGUF MB | completions | decode tok/s | chars/s | chars/token "
        "| Tifinagh share of output |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for variant in VARIANTS:
        m = med[variant]
        lines.append(
            f"| {variant} | {result['sizes'][variant] / 1e6:.0f} | {m['n']:.0f} "
            f"| {m['tok_s']:.1f} | {m['chars_s']:.1f} | {m['chars_per_tok']:.2f} "
            f"| {100 * m['tfng']:.0f} % |"
        )
    b, e = med["base"], med["extended"]
    lines.append(
        f"| extended ÷ base | | | {e['tok_s'] / b['tok_s']:.2f}x | "
        f"{e['chars_s'] / b['chars_s']:.2f}x | | |"
    )
    return "\n".join(lines)
