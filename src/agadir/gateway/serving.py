"""The generation base that chat and text completions share, as vLLM's `OpenAIServing`.

The two endpoints once had near-copies of the stream loop, and they drifted: streamed chat
recorded tokens under `kb:NAME` while non-streamed chat recorded them under the model that
generated, and chat's last chunk carried `usage` without `stream_options.include_usage`. Here
one class owns what must not differ between them (starting the streams so that errors become
HTTP errors, output PII policy, usage, token metrics, quota settlement, the audit record and
`[DONE]`); an endpoint supplies only its chunk shape (`_text_choice`, `_finish_choice`) and,
where it has them, an opening chunk and extra fields on the last one.

Several prompts (a batched `/v1/completions`) are generated concurrently, so an engine that
batches sequences (llama.cpp's scheduler) decodes them in the same steps; each is one choice.
Does not handle `n > 1` (the request models refuse it).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agadir.audit import AuditUnavailableError
from agadir.engines.base import Delta, Generation, TokenLogprob, collect
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.pii_stream import StreamingPiiFilter
from agadir.gateway.sse import DONE, event
from agadir.gateway.state import GatewayState
from agadir.gateway.usage import Usage, new_id, now


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What the finaliser needs to know about a request beyond its deltas."""

    model: str  # the name the client asked for (echoed in every chunk)
    generated_by: str  # the model that generated (metrics are labelled by it)
    include_usage: bool = False
    logprobs: bool = False


@dataclass(slots=True)
class _ChoiceState:
    pii: StreamingPiiFilter | None
    parts: list[str] = field(default_factory=list)
    last: Delta | None = None

    def filtered(self, delta: Delta) -> str:
        """The delta's text under the output policy (everything held back comes out at the end)."""
        if self.pii is None:
            return delta.text
        text = self.pii.push(delta.text)
        return text + self.pii.flush() if delta.finish_reason is not None else text


class GenerationService:
    """One generation request; subclasses give the response's chunk shape."""

    object_name: ClassVar[str]  # the `object` of a stream chunk
    id_prefix: ClassVar[str]

    def __init__(self, state: GatewayState, ctx: RequestContext) -> None:
        self.state = state
        self.ctx = ctx
        self.gov = state.governance

    # -- what an endpoint supplies -------------------------------------------------------------
    def _text_choice(
        self, index: int, text: str, logprobs: list[TokenLogprob] | None
    ) -> dict[str, Any]:
        raise NotImplementedError

    def _finish_choice(self, index: int, reason: str) -> dict[str, Any]:
        raise NotImplementedError

    def _opening_choice(self, index: int) -> dict[str, Any] | None:
        """A choice sent before any text (chat announces the assistant role); none by default."""
        return None

    def _closing_fields(self, texts: list[str]) -> dict[str, Any]:
        """Extra top-level fields on the last chunk (grounded chat's citations)."""
        return {}

    # -- non-streamed ------------------------------------------------------------------------
    async def _gather(self, streams: Sequence[AsyncIterator[Delta]]) -> list[Generation]:
        """Run every stream to its end, concurrently: they share the engine's decode steps."""
        if len(streams) == 1:
            return [await collect(streams[0])]
        try:
            async with asyncio.TaskGroup() as group:  # one failure cancels the others
                tasks = [group.create_task(collect(s)) for s in streams]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None  # the error handlers map the engine's error
        return [t.result() for t in tasks]

    async def _finalise(self, results: list[Generation], generated_by: str) -> list[Generation]:
        """Output policy on each result, then quota settlement and token metrics."""
        filters = []
        for result in results:
            pii = self.gov.output_filter(self.ctx)
            if pii is not None:
                result.text = pii.push(result.text) + pii.flush()
            filters.append(pii)
        await self._settle(
            generated_by,
            sum(r.prompt_tokens for r in results),
            sum(r.completion_tokens for r in results),
            [r.text for r in results],
            filters,
        )
        return results

    async def _settle(
        self,
        generated_by: str,
        prompt_tokens: int,
        completion_tokens: int,
        texts: list[str],
        filters: Sequence[StreamingPiiFilter | None],
    ) -> None:
        for pii in filters[1:]:
            if pii is not None and pii.counts:
                self.ctx.count_pii(pii.counts, "out")
        response = texts[0] if len(texts) == 1 else json.dumps(texts, ensure_ascii=False)
        await self.gov.settle(
            self.ctx, prompt_tokens, completion_tokens, response, filters[0] if filters else None
        )
        self.state.metrics.record_tokens(generated_by, prompt_tokens, completion_tokens)

    # -- streamed ------------------------------------------------------------------------------
    async def _open_stream(
        self, streams: Sequence[AsyncIterator[Delta]], spec: StreamSpec
    ) -> AsyncIterator[bytes]:
        """Start every generation *before* the 200 goes out, then stream them.

        The first delta of each stream is awaited here, so errors found up front (prompt too
        long, engine refusing) become proper HTTP errors rather than a broken stream.
        """
        started = time.perf_counter()
        firsts = await _first_deltas(streams)
        self.state.metrics.ttft.labels(spec.generated_by).observe(time.perf_counter() - started)
        return self._sse(streams, firsts, spec)

    async def _sse(
        self, streams: Sequence[AsyncIterator[Delta]], firsts: list[Delta], spec: StreamSpec
    ) -> AsyncIterator[bytes]:
        base: dict[str, Any] = {
            "id": new_id(self.id_prefix),
            "object": self.object_name,
            "created": now(),
            "model": spec.model,
        }
        if spec.include_usage:
            base["usage"] = None  # OpenAI: null on every chunk but the usage one

        def chunk(choice: dict[str, Any], **extra: Any) -> bytes:
            return event({**base, "choices": [choice], **extra})

        choices = [_ChoiceState(self.gov.output_filter(self.ctx)) for _ in streams]
        open_count = len(choices)
        merged = _interleave(streams, firsts)
        # the events of one delta go out in one write; the opening ones with the first delta's
        # (already here: `_open_stream` awaited it), so the first token costs one write, not two
        out = [chunk(o) for i in range(len(choices)) if (o := self._opening_choice(i)) is not None]
        try:
            async for index, delta in merged:
                state = choices[index]
                text = state.filtered(delta)
                state.parts.append(text)
                logprobs = delta.logprobs if spec.logprobs and delta.logprobs else None
                if text or logprobs:
                    out.append(chunk(self._text_choice(index, text, logprobs)))
                if delta.finish_reason is not None:
                    state.last = delta
                    open_count -= 1
                    texts = ["".join(c.parts) for c in choices]
                    extra = self._closing_fields(texts) if open_count == 0 else {}
                    out.append(chunk(self._finish_choice(index, delta.finish_reason), **extra))
                if out:
                    yield out[0] if len(out) == 1 else b"".join(out)
                    out = []
            if out:
                yield b"".join(out)
            async for tail in self._finish_stream(choices, base, spec):
                yield tail
        finally:
            await merged.aclose()  # its tasks stop before the streams close
            await _close(streams)  # stops the generations when the client disconnected

    async def _finish_stream(
        self, choices: list[_ChoiceState], base: dict[str, Any], spec: StreamSpec
    ) -> AsyncIterator[bytes]:
        """Settle usage and quota, send usage if asked, make the audit record durable, `[DONE]`."""
        usage = Usage.of(
            sum((c.last.prompt_tokens or 0) if c.last else 0 for c in choices),
            sum((c.last.completion_tokens or 0) if c.last else 0 for c in choices),
        )
        await self._settle(
            spec.generated_by,
            usage.prompt_tokens,
            usage.completion_tokens,
            ["".join(c.parts) for c in choices],
            [c.pii for c in choices],
        )
        if spec.include_usage:
            yield event({**base, "choices": [], "usage": usage.model_dump()})
        try:
            await self.gov.audit(self.ctx, 200)
        except AuditUnavailableError as exc:
            yield event(exc.to_openai())
            return
        yield DONE


async def _first_deltas(streams: Sequence[AsyncIterator[Delta]]) -> list[Delta]:
    """The first delta of every stream; if one fails, every stream is closed and it raises."""
    try:
        if len(streams) == 1:
            return [await anext(streams[0])]
        return list(await asyncio.gather(*(anext(s) for s in streams)))
    except BaseException:
        await _close(streams)
        raise


async def _close(streams: Sequence[AsyncIterator[Delta]]) -> None:
    for stream in streams:
        if isinstance(stream, AsyncGenerator):
            await stream.aclose()


async def _interleave(
    streams: Sequence[AsyncIterator[Delta]], firsts: list[Delta]
) -> AsyncGenerator[tuple[int, Delta], None]:
    """(choice index, delta) from every stream as they come; one stream needs no tasks."""
    for index, first in enumerate(firsts):
        yield index, first
    live = [i for i, first in enumerate(firsts) if first.finish_reason is None]
    if len(streams) == 1:
        if live:
            async for delta in streams[0]:
                yield 0, delta
        return
    queue: asyncio.Queue[tuple[int, Delta | BaseException | None]] = asyncio.Queue()

    async def pump(index: int) -> None:
        try:
            async for delta in streams[index]:
                await queue.put((index, delta))
        except Exception as exc:  # handed to the consumer, which raises it
            await queue.put((index, exc))
        finally:
            await queue.put((index, None))

    tasks = [asyncio.create_task(pump(i)) for i in live]
    try:
        remaining = len(tasks)
        while remaining:
            index, item = await queue.get()
            if item is None:
                remaining -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield index, item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
