"""Peak memory of `agadir serve` with the default model after a concurrent streaming load.

Usage: PYTHONPATH=src python bench/bench_memory.py [--clients 4] [--per-client 2]

Starts `agadir serve` (default model, default settings: 4 batched sequences, n_ctx 2048 each),
drives `--clients` streaming chats at once (max_tokens 128), then reads the server's
/proc/<pid>/status: VmHWM is the peak resident set over the process's life (model mmap,
KV cache for all sequences, Python, FastAPI, governance store), VmRSS the current one.
`llama_cpp.server` on the same GGUF (n_ctx 2048, one sequence) is measured the same way for
scale when its extras are installed. Target: peak RSS of agadir <= 600 MB.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_harness import ROOT, Server, agadir_server, llamacpp_server, load1, run_load, warm_up


def proc_memory(pid: int) -> dict[str, float]:
    """VmHWM / VmRSS of a process in MB (Linux)."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) / 1024
    return out


def measure(server: Server, clients: int, per_client: int) -> tuple[dict[str, float], int, int]:
    warm_up(server)
    streams = run_load(server, clients, per_client, 128)
    done = sum(s.completed for s in streams)
    return proc_memory(server.process.pid), done, len(streams)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--per-client", type=int, default=2)
    args = ap.parse_args()
    if not Path("/proc/self/status").exists():
        print("skipped: /proc/<pid>/status is Linux-only")
        return
    rows: list[tuple[str, dict[str, float], int, int, float]] = []
    with tempfile.TemporaryDirectory(prefix="agadir-bench-mem-") as tmp:
        env = {**os.environ, "AGADIR_HOME": str(Path(tmp) / "home")}
        env["PYTHONPATH"] = str(ROOT / "src")
        env.pop("AGADIR_CONFIG", None)
        server = agadir_server(env, Path(tmp))
        try:
            mem, done, total = measure(server, args.clients, args.per_client)
            rows.append(("agadir serve (4 sequences x 2048)", mem, done, total, load1()))
        finally:
            server.stop()
        try:
            import llama_cpp.server.app  # noqa: F401
        except ImportError as exc:
            print(f"skipped llama_cpp.server: {exc}")
        else:
            server = llamacpp_server(env, Path(tmp), os.cpu_count() or 1, interrupt=False)
            try:
                mem, done, total = measure(server, args.clients, args.per_client)
                rows.append(("llama_cpp.server (1 x 2048)", mem, done, total, load1()))
            finally:
                server.stop()
    print(f"Peak memory after {args.clients} clients x {args.per_client} streaming chats\n")
    print("| server | peak RSS (VmHWM) MB | RSS after MB | streams completed | load1 |")
    print("|---|---:|---:|---:|---:|")
    for name, mem, done, total, load in rows:
        print(f"| {name} | {mem['VmHWM']:.0f} | {mem['VmRSS']:.0f} | {done}/{total} | {load} |")


if __name__ == "__main__":
    main()
