"""Run tasks against one endpoint: bounded concurrency, the answer cache, a progress bar.

Requests go out with at most ``concurrency`` in flight across a task's samples. Each answer is
cached the moment it arrives; cached samples are never asked again, so a killed run resumes
and a rerun makes no request. An endpoint failure that survives the retries stops the run
(`EndpointError`) with everything answered so far kept.

MCQ mode ``auto`` probes the first sample with ``loglik`` and falls back to ``letter`` for the
whole task when the endpoint refuses or returns no prompt logprobs; the mode is stored in each
output and in the report.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agadir.evals.cache import AnswerCache, cache_key
from agadir.evals.client import EndpointClient
from agadir.evals.requests import (
    LOGLIK_CONVENTION,
    LoglikUnsupported,
    ask_chat,
    ask_grounded,
    ask_mcq_letter,
    ask_mcq_loglik,
    decoding,
)
from agadir.evals.task import Task

McqMode = Literal["auto", "loglik", "letter"]
Ask = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass
class RunConfig:
    endpoint: str
    model: str
    api_key: str | None = None
    concurrency: int = 8
    timeout: float = 120.0
    max_retries: int = 5
    temperature: float = 0.0
    seed: int = 0
    limit: int | None = None
    mcq_mode: McqMode = "auto"
    cache_path: Path = Path("eval-cache.sqlite")

    def public(self) -> dict[str, Any]:
        """What a report may say about the run (never the key)."""
        return {
            "endpoint": self.endpoint,
            "model": self.model,
            "temperature": self.temperature,
            "seed": self.seed,
            "concurrency": self.concurrency,
            "limit": self.limit,
            "mcq_mode": self.mcq_mode,
        }


@dataclass
class TaskRun:
    task: Task
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    asked: int = 0
    cached: int = 0
    seconds: float = 0.0

    @property
    def samples(self) -> list[dict[str, Any]]:
        return [s for s in self.task.samples if s["id"] in self.outputs]


class Runner:
    def __init__(self, config: RunConfig, client: EndpointClient | None = None) -> None:
        self.config = config
        self.client = client or EndpointClient(
            config.endpoint,
            config.api_key,
            timeout=config.timeout,
            max_retries=config.max_retries,
        )
        self.cache = AnswerCache(config.cache_path)

    async def aclose(self) -> None:
        await self.client.aclose()
        self.cache.close()

    async def run(self, tasks: list[Task], progress: Progress | None = None) -> list[TaskRun]:
        await self.client.check(self.config.model)
        own = progress is None
        progress = progress or _progress()
        runs = []
        with progress if own else contextlib.nullcontext():
            for task in tasks:
                runs.append(await self.run_task(task, progress))
        return runs

    def _key(self, task: Task, sample: dict[str, Any], dec: dict[str, Any]) -> str:
        return cache_key(
            self.config.endpoint,
            self.config.model,
            task.name,
            task.spec.version,
            sample,
            {
                "request": task.spec.request,
                # what the endpoint is shown: editing the prompt without bumping the version
                # must not reuse answers to the old prompt
                "templates": [task.spec.prompt, task.spec.system, task.spec.question],
                **dec,
            },
        )

    def _asker(self, task: Task, mode: str) -> tuple[Ask, dict[str, Any]]:
        dec = decoding(task, self.config.temperature, self.config.seed)
        client, model = self.client, self.config.model
        if task.spec.request == "grounded":
            return (lambda s: ask_grounded(client, model, task, s, dec)), dec
        if task.spec.request == "mcq":
            dec = {**dec, "mcq_mode": mode}
            if mode == "loglik":
                # answers scored under an older convention must not be reused from the cache
                dec = {**dec, "loglik": LOGLIK_CONVENTION}
                return (lambda s: ask_mcq_loglik(client, model, task, s)), dec
            return (lambda s: ask_mcq_letter(client, model, task, s, dec)), dec
        return (lambda s: ask_chat(client, model, task, s, dec)), dec

    async def _mcq_mode(self, task: Task, first: dict[str, Any]) -> str:
        """Resolve ``auto``: a cached answer decides, else one live loglik probe."""
        if self.config.mcq_mode != "auto":
            return self.config.mcq_mode
        for mode in ("loglik", "letter"):
            _, dec = self._asker(task, mode)
            if self.cache.get(self._key(task, first, dec)) is not None:
                return mode
        ask, dec = self._asker(task, "loglik")
        try:
            output = await ask(first)
        except LoglikUnsupported:
            return "letter"
        self.cache.put(self._key(task, first, dec), task.name, first["id"], output)
        return "loglik"

    async def run_task(self, task: Task, progress: Progress) -> TaskRun:
        loop = asyncio.get_running_loop()
        started = loop.time()
        samples = task.samples[: self.config.limit] if self.config.limit else task.samples
        mode = await self._mcq_mode(task, samples[0]) if task.spec.request == "mcq" else "-"
        ask, dec = self._asker(task, mode)
        run = TaskRun(task)
        bar = progress.add_task(task.name, total=len(samples))
        todo = []
        for sample in samples:
            hit = self.cache.get(self._key(task, sample, dec))
            if hit is None:
                todo.append(sample)
            else:
                run.outputs[sample["id"]] = hit
                run.cached += 1
        progress.update(bar, completed=run.cached)
        gate = asyncio.Semaphore(max(1, self.config.concurrency))

        async def one(sample: dict[str, Any]) -> None:
            async with gate:
                output = await ask(sample)
            self.cache.put(self._key(task, sample, dec), task.name, sample["id"], output)
            run.outputs[sample["id"]] = output
            run.asked += 1
            progress.advance(bar)

        jobs = [asyncio.ensure_future(one(s)) for s in todo]
        try:
            await asyncio.gather(*jobs)
        except BaseException:
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            raise
        run.seconds = loop.time() - started
        return run


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
