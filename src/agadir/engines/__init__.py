"""Engines: the backends that run models (llama.cpp in-process, upstream servers, encoders).

A note on CPU threads, measured on 2 cores with SmolLM2-135M (docs/benchmarks.md): llama.cpp
is built with OpenMP, and its synchronisation between threads spins. On a quiet machine that is
fastest (2 threads: 74 tok/s; `OMP_WAIT_POLICY=PASSIVE` drops it to 22 tok/s). On a machine
where other busy processes share the cores, spinning threads wait for descheduled ones (2
threads: 4-15 tok/s next to one busy process) and `llamacpp.threads = 1` is the robust choice
(38-40 tok/s either way). We leave OpenMP's default and document the trade-off rather than
pick one for every deployment.
"""
