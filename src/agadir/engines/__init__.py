"""Engines: the backends that run models (llama.cpp in-process, upstream servers, encoders).

A note on CPU threads (bench/bench_threads.py, docs/benchmarks.md): llama.cpp is built with
OpenMP and its threads spin at every barrier. On a dedicated machine that is fastest (2 threads,
~79 tok/s for SmolLM2-135M); next to another busy process the spinning threads wait for
descheduled ones (~6 tok/s), where `OMP_WAIT_POLICY=PASSIVE` (~39 tok/s either way) or one
thread is the robust choice. We keep OpenMP's default and document the trade-off
(docs/configuration.md) rather than pick one for every deployment.
"""
