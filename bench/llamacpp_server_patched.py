"""Run `python -m llama_cpp.server` with weight repacking (extra buffer types) turned off.

Why: on CPUs with AMX, the llama.cpp build bundled with llama-cpp-python 0.3.x crashes in its
AMX matmul when weights are repacked into the AMX buffer type. Agadir's engine loads models
with ``use_extra_bufts=False`` on such CPUs; to compare like with like, the baseline server
must load the model the same way. llama-cpp-python exposes no flag for it, so this wrapper
patches `llama_model_default_params` before the server builds its `Llama` and then runs the
server module unchanged, with the command-line arguments given to this script.

Usage: python bench/llamacpp_server_patched.py --model PATH --port 8001 [server options]
"""

from __future__ import annotations

import runpy
from typing import Any

import llama_cpp
import llama_cpp.llama_cpp as low_level

_original = low_level.llama_model_default_params


def _params_without_extra_buffers() -> Any:
    params = _original()
    params.use_extra_bufts = False
    return params


def main() -> None:
    low_level.llama_model_default_params = _params_without_extra_buffers
    llama_cpp.llama_model_default_params = _params_without_extra_buffers  # type: ignore[attr-defined]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
