"""Engines: the backends that run models (llama.cpp in-process, upstream servers, encoders).

Importing this package sets one process-wide default before any engine loads llama.cpp:
llama.cpp is built with OpenMP, whose default makes idle worker threads spin. That collapses
throughput as soon as anything else uses the cores (measured here: a 32-token reply took 43 s
at load 3 instead of under 1 s). Sleeping idle threads cost one wake-up per token. It must be
set before libgomp loads, i.e. before `llama_cpp` is first imported; an operator's value wins.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
