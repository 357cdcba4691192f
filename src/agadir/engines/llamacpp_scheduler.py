"""Continuous batching over one llama.cpp context: concurrent requests decode in the same step.

Why batching rather than a pool of independent contexts: on a small CPU, one decode step for
4 sequences costs little more than for 1 (the weights are read once per step), so aggregate
throughput grows with concurrency, and a new request joins at the next step instead of waiting
for a free context — which keeps time-to-first-token low.

One dedicated thread owns the llama.cpp context; it never blocks the event loop. Each request
is a `Job` with its own sequence id, KV cells, sampler chain and output queue. Prompts are
prefilled in chunks of at most `n_batch` tokens, interleaved with other sequences' decoding.
A cancelled job (client gone) is dropped at the next step. A finished job's KV cells stay on
its sequence for the next request that shares a prefix with it (`PrefixCache`).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import llama_cpp

from agadir.engines.base import Delta, SamplingParams, TokenLogprob
from agadir.engines.llamacpp_prefix import PrefixCache
from agadir.engines.llamacpp_sampling import (
    Detokenizer,
    SamplerChain,
    StopMatcher,
    log_softmax,
    logits_row,
    top_alternatives,
)

Emit = Callable[[Delta | BaseException], None]


@dataclass(eq=False)
class Job:
    """One generation: its prompt, settings, progress and where its output goes."""

    prompt: list[int]
    params: SamplingParams
    emit: Emit
    score_prompt: bool = False  # echo + logprobs: logprob of every prompt token
    max_positions: int = 2048
    cancelled: threading.Event = field(default_factory=threading.Event)
    # progress, owned by the scheduler thread
    seq_id: int = -1
    n_past: int = 0
    generated: int = 0
    last_token: int = -1
    output: list[int] = field(default_factory=list)  # sampled tokens, in order
    sampler: SamplerChain | None = None
    detok: Detokenizer | None = None
    stops: StopMatcher | None = None

    def cancel(self) -> None:
        self.cancelled.set()

    @property
    def prefilling(self) -> bool:
        return self.n_past < len(self.prompt)


class BatchScheduler:
    """Owns the llama.cpp context and runs the decode loop in its own thread."""

    def __init__(
        self,
        model: Any,
        ctx: Any,
        *,
        n_seq: int,
        n_batch: int,
        per_seq_ctx: int,
        prefix_cache_tokens: int = 0,
    ) -> None:
        self.model = model
        self.ctx = ctx
        self.vocab = model.vocab
        self.n_vocab = model.n_vocab()
        self.memory = llama_cpp.llama_get_memory(ctx)
        self.n_seq = n_seq
        self.n_batch = n_batch
        self.per_seq_ctx = per_seq_ctx
        self.batch = llama_cpp.llama_batch_init(n_batch + n_seq, 0, 1)
        self._pending: deque[Job] = deque()
        self._active: dict[int, Job] = {}
        self.cache = PrefixCache(n_seq, prefix_cache_tokens)
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="agadir-llamacpp", daemon=True)
        self._thread.start()

    # -- public, any thread ------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("engine closed")
            self._pending.append(job)
            self._cond.notify()

    def queue_depth(self) -> int:
        return len(self._pending)

    def active_count(self) -> int:
        return len(self._active)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=30)
        for job in list(self._active.values()) + list(self._pending):
            job.emit(RuntimeError("engine shut down"))
        llama_cpp.llama_batch_free(self.batch)

    # -- scheduler thread --------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._pending and not self._active:
                    self._cond.wait()
                if self._closed:
                    return
                self._admit()
            self._reap_cancelled()
            if self._active:
                try:
                    self._step()
                except Exception as exc:  # a failed decode ends the jobs in it, not the thread
                    for job in list(self._active.values()):
                        self._finish(job, exc, keep=False)  # its cells are in doubt

    def _admit(self) -> None:
        free = [s for s in range(self.n_seq) if s not in self._active]
        if free and self._pending:
            self._drop_cut_prefixes(free)
        while free and self._pending:
            job = self._pending.popleft()
            if job.cancelled.is_set():
                continue
            # echo scoring needs the logits of every prompt position: evaluate it all
            job.seq_id, job.n_past = self.cache.choose(free, job.prompt, reuse=not job.score_prompt)
            free.remove(job.seq_id)
            if job.n_past == 0 or not llama_cpp.llama_memory_seq_rm(
                self.memory, job.seq_id, job.n_past, -1
            ):  # a recurrent model cannot cut a sequence short: start over
                job.n_past = 0
                llama_cpp.llama_memory_seq_rm(self.memory, job.seq_id, -1, -1)
            job.sampler = SamplerChain(self.vocab, job.params)
            job.detok = Detokenizer(self.vocab)
            job.stops = StopMatcher(job.params.stop)
            self._active[job.seq_id] = job

    def _drop_cut_prefixes(self, free: list[int]) -> None:
        """Forget free slots that no longer hold their cells from position 0: a sliding-window
        cache drops old cells, and a prefix that lost its start is not reusable."""
        for s in free:
            if llama_cpp.llama_memory_seq_pos_min(self.memory, s) > 0:
                self.cache.forget(s)

    def _reap_cancelled(self) -> None:
        for job in [j for j in self._active.values() if j.cancelled.is_set()]:
            self._release(job)

    def _release(self, job: Job, *, keep: bool = True) -> None:
        """Free the slot; its evaluated cells stay for the prefix cache unless `keep` is off."""
        self._active.pop(job.seq_id, None)
        if keep and self.cache.enabled:
            self.cache.store(job.seq_id, (job.prompt + job.output)[: job.n_past])
        else:
            self.cache.forget(job.seq_id)
            llama_cpp.llama_memory_seq_rm(self.memory, job.seq_id, -1, -1)
        for seq in self.cache.over_budget(set(self._active)):
            self.cache.forget(seq)
            llama_cpp.llama_memory_seq_rm(self.memory, seq, -1, -1)
        if job.sampler is not None:
            job.sampler.close()

    def _finish(self, job: Job, outcome: Delta | BaseException, *, keep: bool = True) -> None:
        self._release(job, keep=keep)
        job.emit(outcome)

    def _step(self) -> None:
        """Build one batch (decode tokens first, then prompt chunks), decode, sample."""
        batch = self.batch
        n = 0
        wants: list[tuple[Job, int, int]] = []  # (job, batch index, prompt position or -1)
        budget = self.n_batch

        def put(job: Job, token: int, pos: int, logits: bool, prompt_pos: int) -> None:
            nonlocal n
            batch.token[n] = token
            batch.pos[n] = pos
            batch.n_seq_id[n] = 1
            batch.seq_id[n][0] = job.seq_id
            batch.logits[n] = logits
            if logits:
                wants.append((job, n, prompt_pos))
            n += 1

        for job in self._active.values():
            if not job.prefilling:
                put(job, job.last_token, job.n_past, True, -1)
                job.n_past += 1
        for job in self._active.values():
            if job.prefilling and budget > 0:
                start, end = job.n_past, min(len(job.prompt), job.n_past + budget)
                for i in range(start, end):
                    last = i == len(job.prompt) - 1
                    put(job, job.prompt[i], i, last or job.score_prompt, i)
                job.n_past = end
                budget -= end - start
        batch.n_tokens = n
        if n == 0:
            return
        rc = llama_cpp.llama_decode(self.ctx, batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode failed (code {rc}): the context may be full")
        for job, index, prompt_pos in wants:
            if job.seq_id not in self._active or job.cancelled.is_set():
                continue
            if prompt_pos >= 0 and job.score_prompt:
                self._score_prompt_token(job, index, prompt_pos)
            if prompt_pos < 0 or prompt_pos == len(job.prompt) - 1:
                self._next_token(job, index)

    def _score_prompt_token(self, job: Job, index: int, prompt_pos: int) -> None:
        """Echo scoring: the logits at prompt position i give the logprob of prompt token i+1."""
        assert job.detok is not None
        if prompt_pos == 0:
            raw = job.detok.piece(job.prompt[0])
            job.emit(Delta(logprobs=[TokenLogprob(raw.decode("utf-8", "replace"), None, raw=raw)]))
        if prompt_pos + 1 < len(job.prompt):
            lp = log_softmax(logits_row(self.ctx, index, self.n_vocab))
            token = job.prompt[prompt_pos + 1]
            top = self._named(job, top_alternatives(lp, job.params.top_logprobs))
            raw = job.detok.piece(token)
            piece = raw.decode("utf-8", "replace")
            job.emit(Delta(logprobs=[TokenLogprob(piece, float(lp[token]), top, raw=raw)]))

    def _named(
        self, job: Job, alternatives: list[tuple[int, float]]
    ) -> tuple[tuple[str, float], ...]:
        assert job.detok is not None
        return tuple((job.detok.piece(t).decode("utf-8", "replace"), v) for t, v in alternatives)

    def _next_token(self, job: Job, index: int) -> None:
        assert job.sampler is not None and job.detok is not None and job.stops is not None
        if job.generated >= job.params.max_tokens:
            self._end(job, "length")
            return
        logprobs: list[TokenLogprob] = []
        if job.params.logprobs:
            lp = log_softmax(logits_row(self.ctx, index, self.n_vocab))
        token = job.sampler.sample(self.ctx, index)
        if llama_cpp.llama_vocab_is_eog(self.vocab, token):
            self._end(job, "stop")
            return
        job.generated += 1
        job.last_token = token
        job.output.append(token)
        if job.params.logprobs:
            raw = job.detok.piece(token)
            top = self._named(job, top_alternatives(lp, job.params.top_logprobs))
            logprobs = [
                TokenLogprob(raw.decode("utf-8", "replace"), float(lp[token]), top, raw=raw)
            ]
        text, stopped = job.stops.push(job.detok.feed(token))
        if text or logprobs:
            job.emit(Delta(text=text, logprobs=logprobs))
        if stopped:
            self._end(job, "stop", flush=False)
        elif job.generated >= job.params.max_tokens or job.n_past >= job.max_positions:
            self._end(job, "length")

    def _end(self, job: Job, reason: str, *, flush: bool = True) -> None:
        assert job.detok is not None and job.stops is not None
        if flush:
            tail, stopped = job.stops.push(job.detok.flush())
            tail += "" if stopped else job.stops.rest()
            if tail:
                job.emit(Delta(text=tail))
        self._finish(
            job,
            Delta(
                finish_reason="length" if reason == "length" else "stop",
                prompt_tokens=len(job.prompt),
                completion_tokens=job.generated,
            ),
        )


def bridge(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Delta | BaseException]) -> Emit:
    """An `Emit` that hands outputs from the scheduler thread to an asyncio queue."""

    def emit(item: Delta | BaseException) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    return emit
