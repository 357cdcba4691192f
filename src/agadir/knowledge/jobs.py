"""Ingestion jobs: staged uploads ingested off the request path, tenants served in turn.

Why: one 180 KB upload once held the server for ten minutes and slowed every tenant's searches.
Now an upload is staged to disk and becomes a job. A bounded pool of `workers` tasks ingests
one *file* at a time, each time taking the next tenant in rotation that has work waiting and no
file in progress. So a tenant has at most one file being ingested, tenants with work share the
pool in turn, and a tenant with a hundred files cannot starve one with a single file. The CPU
work of a file runs in a worker thread (`ingest.prepare`); the event loop only coordinates.

A job reports progress (files done, chunks embedded in the current file) and can be cancelled:
a queued job at once, a running one at its next step (between embedding batches, before its
file is stored). Documents a cancelled job had already added are erased and its staged files
deleted, so it leaves nothing behind. Not handled: a file the job *replaced* keeps its new
version (the old one is gone once stored), and jobs live in this process's memory (a restart
forgets them; with several server processes, poll the one that answered the upload).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from agadir.errors import NotFoundError
from agadir.knowledge.ingest import Ingestor, IngestReport
from agadir.knowledge.uploads import StagedUpload

log = logging.getLogger(__name__)
JobState = Literal["queued", "running", "done", "cancelled", "failed"]
Discard = Callable[[str, list[str]], Awaitable[None]]


class IngestJobNotFoundError(NotFoundError):
    code = "ingest_job_not_found"


@dataclass(eq=False)
class IngestJob:
    id: str
    kb: str
    tenant: str  # whose turn it takes (the uploader's tenant)
    owner: str  # the base's owner, recorded on each document
    upload: StagedUpload
    report: IngestReport
    state: JobState = "queued"
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    cancel_requested: bool = False
    next_file: int = 0
    current: dict[str, object] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "failed")

    def to_dict(self) -> dict[str, object]:
        status = "cancelling" if self.cancel_requested and not self.finished else self.state
        return {
            "id": self.id,
            "object": "knowledge.ingest_job",
            "kb": self.kb,
            "status": status,
            "progress": {
                "files_done": len(self.report.files),
                "files_total": len(self.upload.files) + len(self.upload.refused),
                "chunks": self.report.chunks,
                "current": self.current,
            },
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "result": self.report.to_dict() if self.finished else None,
        }


class IngestScheduler:
    """Per-tenant queues of jobs, served round-robin, one file at a time, by `workers` tasks."""

    def __init__(self, ingestor: Ingestor, discard: Discard, *, workers: int = 2) -> None:
        self.ingestor = ingestor
        self.discard = discard  # erase documents by id (kb, ids): what a cancelled job added
        self.workers = workers
        self.keep_finished = 256
        self._jobs: OrderedDict[str, IngestJob] = OrderedDict()
        self._queues: dict[str, deque[IngestJob]] = {}
        self._busy: set[str] = set()  # tenants with a file in progress
        self._active: set[str] = set()  # jobs a worker holds right now
        self._wake = asyncio.Event()  # set when there may be work; workers clear it when idle
        self._tasks: list[asyncio.Task[None]] = []

    # -- public ---------------------------------------------------------------------------------
    def submit(self, upload: StagedUpload, *, tenant: str, owner: str) -> IngestJob:
        report = IngestReport(upload.kb, files=list(upload.refused))
        job_id = f"ingest-{secrets.token_hex(8)}"
        job = IngestJob(job_id, upload.kb, tenant, owner, upload, report)
        self._jobs[job.id] = job
        if not upload.files:
            self._finish(job, "done")
            return job
        self._queues.setdefault(tenant, deque()).append(job)
        self._start_workers()
        self._notify()
        return job

    def pending(self, tenant: str) -> bool:
        """Whether `tenant` has a job queued or running."""
        return any(not j.finished for j in self._queues.get(tenant, ()))

    def get(self, kb: str, job_id: str) -> IngestJob:
        job = self._jobs.get(job_id)
        if job is None or job.kb != kb:
            raise IngestJobNotFoundError(
                f"no ingestion job {job_id!r} in knowledge base {kb!r}; jobs are kept in the "
                "server's memory until it restarts"
            )
        return job

    async def cancel(self, job: IngestJob) -> IngestJob:
        """Cancel now if no worker holds the job, else at the worker's next step."""
        if job.finished or job.cancel_requested:
            return job
        job.cancel_requested = True
        if job.id not in self._active:
            await self._finish_cancelled(job)
        return job

    async def wait(self, job: IngestJob) -> IngestJob:
        await job.done.wait()
        return job

    async def aclose(self) -> None:
        """Stop the workers and delete every unfinished job's staged files."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for job in self._jobs.values():
            if not job.finished:
                job.upload.discard()

    # -- workers --------------------------------------------------------------------------------
    def _start_workers(self) -> None:
        self._tasks = [t for t in self._tasks if not t.done()]
        while len(self._tasks) < self.workers:
            self._tasks.append(asyncio.create_task(self._work(), name="agadir-ingest"))

    def _notify(self) -> None:
        self._wake.set()

    def _pick(self) -> IngestJob | None:
        """The head job of the first idle tenant in rotation (tenants go to the back of the
        rotation when a file of theirs is done, in `_work`)."""
        for tenant in list(self._queues):
            queue = self._queues[tenant]
            while queue and (queue[0].finished or queue[0].cancel_requested):
                queue.popleft()
            if not queue:
                del self._queues[tenant]
                continue
            if tenant in self._busy:
                continue
            self._busy.add(tenant)
            self._active.add(queue[0].id)
            return queue[0]
        return None

    async def _work(self) -> None:
        while True:
            job = self._pick()
            if job is None:  # no await between the pick and the clear: no wake-up is lost
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                await self._step(job)
            except Exception:
                log.exception("ingestion job %s failed", job.id)
                self._finish(job, "failed")
            finally:
                self._busy.discard(job.tenant)
                self._active.discard(job.id)
                if (queue := self._queues.pop(job.tenant, None)) is not None:
                    self._queues[job.tenant] = queue  # served: to the back of the rotation
                self._notify()

    async def _step(self, job: IngestJob) -> None:
        """Ingest the job's next file, then finish the job if that was its last (or cancelled)."""
        if job.cancel_requested:
            await self._finish_cancelled(job)
            return
        job.state = "running"
        staged = job.upload.files[job.next_file]
        job.current = {"name": staged.name, "chunks_embedded": 0, "chunks_total": None}

        def progress(embedded: int, total: int) -> None:
            job.current = {"name": staged.name, "chunks_embedded": embedded, "chunks_total": total}

        outcome = await self.ingestor.ingest_file(
            job.kb,
            staged.path,
            name=staged.name,
            source=staged.source,
            owner=job.owner,
            licence=None,
            should_stop=lambda: job.cancel_requested,
            progress=progress,
        )
        job.report.files.append(outcome)
        job.next_file += 1
        job.current = None
        if job.cancel_requested:
            await self._finish_cancelled(job)
        elif job.next_file >= len(job.upload.files):
            self._finish(job, "done")

    async def _finish_cancelled(self, job: IngestJob) -> None:
        added = [f for f in job.report.files if f.status == "added" and f.document_id]
        if added:
            await self.discard(job.kb, [f.document_id for f in added if f.document_id])
        for outcome in added:
            outcome.status, outcome.reason = "cancelled", "removed: the job was cancelled"
            outcome.document_id, outcome.chunks = None, 0
        self._finish(job, "cancelled")

    def _finish(self, job: IngestJob, state: JobState) -> None:
        job.state, job.finished_at, job.current = state, time.time(), None
        job.upload.discard()
        job.done.set()
        finished = [j for j in self._jobs.values() if j.finished]
        for old in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._jobs[old.id]
