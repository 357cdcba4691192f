"""A stand-in for the `vllm` executable in tests: `fake_vllm.py serve MODEL_DIR --port N ...`.

It accepts `vllm serve`'s arguments, appends what it was started with to the JSON-lines file
named by FAKE_VLLM_RECORD (pid, argv, the LoRA run-time switch), and serves the part of vLLM's
OpenAI-compatible API that Agadir uses, on stdlib `http.server`:
- GET  /v1/models               the served model and each LoRA module (with `parent`)
- POST /v1/chat/completions     whole or streamed (SSE, chunked); the answer names the model the
                                request asked for ("served by NAME"), so tests see which module ran
- POST /v1/completions          the same, completions shape
- POST /v1/load_lora_adapter    {lora_name, lora_path}: a new module (400 if the folder is
                                missing, or runtime LoRA updating is off)
- POST /tokenize                whitespace tokens, as ids
FAKE_VLLM_FAIL=1 makes it print an error and exit 3 before listening (a start that fails).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vllm")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("model")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--served-model-name", nargs="+")
    parser.add_argument("--tensor-parallel-size", type=int, default=1)
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    parser.add_argument("--max-model-len", type=int, default=None)
    parser.add_argument("--enable-lora", action="store_true")
    parser.add_argument("--max-loras", type=int, default=1)
    parser.add_argument("--max-lora-rank", type=int, default=16)
    parser.add_argument("--lora-modules", nargs="+", default=[])
    return parser.parse_known_args(argv)[0]


class FakeVllm:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.name = (args.served_model_name or [args.model])[0]
        self.loras: dict[str, str] = dict(m.split("=", 1) for m in args.lora_modules)

    def models(self) -> dict[str, Any]:
        cards = [{"id": self.name, "object": "model", "max_model_len": self.args.max_model_len}]
        for lora, path in self.loras.items():
            cards.append({"id": lora, "object": "model", "parent": self.name, "root": path})
        return {"object": "list", "data": cards}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, obj: object) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._send(200, self.server.fake.models())
        elif self.path == "/health":
            self._send(200, {})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        fake = self.server.fake
        if self.path == "/v1/load_lora_adapter":
            if not fake.args.enable_lora or not os.environ.get("VLLM_ALLOW_RUNTIME_LORA_UPDATING"):
                self._send(400, {"error": {"message": "runtime LoRA updating is off"}})
                return
            if not os.path.isdir(body["lora_path"]):  # vLLM cannot read the adapter
                self._send(400, {"error": {"message": f"no adapter at {body['lora_path']}"}})
                return
            fake.loras[body["lora_name"]] = body["lora_path"]
            self._send(200, {"ok": True})
        elif self.path == "/tokenize":
            words = str(body.get("prompt", "")).split()
            self._send(200, {"tokens": list(range(len(words))), "count": len(words)})
        elif self.path in ("/v1/chat/completions", "/v1/completions"):
            self._generate(body, chat=self.path.endswith("chat/completions"))
        else:
            self._send(404, {"error": {"message": "not found"}})

    def _generate(self, body: dict[str, Any], chat: bool) -> None:
        fake = self.server.fake
        model = body.get("model")
        if model != fake.name and model not in fake.loras:
            self._send(404, {"error": {"message": f"The model `{model}` does not exist."}})
            return
        words = ["served", " by", f" {model}"]
        usage = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
        kind = "chat.completion" if chat else "text_completion"
        if not body.get("stream"):
            text = "".join(words)
            choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
            choice.update(
                {"message": {"role": "assistant", "content": text}} if chat else {"text": text}
            )
            self._send(
                200,
                {"id": "x", "object": kind, "model": model, "choices": [choice], "usage": usage},
            )
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for word in [*words, None]:
            piece: dict[str, Any] = {"index": 0, "finish_reason": None if word else "stop"}
            if chat:
                piece["delta"] = {"content": word} if word else {}
            else:
                piece["text"] = word or ""
            self._event({"id": "x", "object": f"{kind}.chunk", "model": model, "choices": [piece]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event({"id": "x", "object": f"{kind}.chunk", "choices": [], "usage": usage})
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _event(self, obj: object) -> None:
        self._chunk(b"data: " + json.dumps(obj).encode() + b"\n\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeVllm


def main() -> None:
    args = parse(sys.argv[1:])
    record = os.environ.get("FAKE_VLLM_RECORD")
    if record:
        line = {
            "pid": os.getpid(),
            "argv": sys.argv[1:],
            "runtime_lora": os.environ.get("VLLM_ALLOW_RUNTIME_LORA_UPDATING"),
            "at": time.time(),
        }
        with open(record, "a") as out:
            out.write(json.dumps(line) + "\n")
    if os.environ.get("FAKE_VLLM_FAIL"):
        print("ValueError: fake vLLM was told to fail (CUDA out of memory)", file=sys.stderr)
        sys.exit(3)
    server = Server((args.host, args.port), Handler)
    server.fake = FakeVllm(args)
    print(f"INFO: fake vLLM serving {server.fake.name} on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
