"""The embedded engine: a GGUF model run in-process by llama.cpp (via llama-cpp-python).

The chat template comes from the GGUF itself (``tokenizer.chat_template``, rendered with
Jinja2), so any instruct model registered in the store formats prompts the way it was trained.
Generation happens in `BatchScheduler`'s thread; this class is the asyncio face of it.
Limits: text only (no images/tools). Prompt prefixes are reused across requests
(`llamacpp.prefix_cache_tokens`, see llamacpp_prefix.py).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import llama_cpp
from llama_cpp import _internals as internals
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from agadir.engines.base import (
    ChatMessage,
    Delta,
    Embeddings,
    EngineInfo,
    SamplingParams,
    unsupported,
)
from agadir.engines.llamacpp_adapters import AdapterPool, AdapterRef
from agadir.engines.llamacpp_prefix import CacheStats
from agadir.engines.llamacpp_scheduler import BatchScheduler, Job, bridge
from agadir.errors import ContextLengthExceededError, InvalidRequestError, ModelFileError
from agadir.models.gguf import read_gguf_metadata

if TYPE_CHECKING:
    from agadir.config import LlamaCppSettings, Settings
    from agadir.models.manifest import ModelManifest

# Used only when a GGUF carries no chat template: ChatML, the most common instruct format.
_CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class LlamaCppEngine:
    def __init__(self, name: str, path: Path, config: LlamaCppSettings) -> None:
        quiet_llama_logs()
        read_gguf_metadata(path)  # clear error for a missing/corrupt file before llama.cpp sees it
        self._name = name
        threads = config.threads or os.cpu_count() or 1
        model_params = llama_cpp.llama_model_default_params()
        model_params.use_mmap = True
        model_params.use_extra_bufts = _extra_buffers(config.extra_buffers)
        try:
            self.model = internals.LlamaModel(
                path_model=str(path), params=model_params, verbose=False
            )
        except ValueError as exc:
            raise ModelFileError(
                f"llama.cpp could not load {path} ({exc}). The file may be corrupt or use an "
                "architecture this llama.cpp build does not know: run `agadir models verify` and "
                "upgrade llama-cpp-python if needed."
            ) from exc
        self.per_seq_ctx = min(config.n_ctx, self.model.n_ctx_train())
        self._config = config
        self._threads = threads
        self.context, self.scheduler = self._new_context()
        self.adapters = AdapterPool(self.model, self._new_context, config.adapter_contexts)
        self._adapter: AdapterRef | None = None
        meta = self.model.metadata()
        self._template = meta.get("tokenizer.chat_template") or _CHATML
        vocab_text = self.model.token_get_text
        self._formatter = Jinja2ChatFormatter(
            template=self._template,
            eos_token=vocab_text(self.model.token_eos()),
            bos_token=vocab_text(self.model.token_bos()) if self.model.token_bos() >= 0 else "",
            add_generation_prompt=True,
        )
        self._add_bos = bool(self.model.add_bos_token())
        self._contexts = config.contexts

    def _new_context(self) -> tuple[internals.LlamaContext, BatchScheduler]:
        """A context of `contexts` sequences on the shared model, with its scheduler."""
        config = self._config
        ctx_params = llama_cpp.llama_context_default_params()
        ctx_params.n_ctx = self.per_seq_ctx * config.contexts
        ctx_params.n_batch = config.n_batch + config.contexts
        ctx_params.n_ubatch = config.n_batch + config.contexts
        ctx_params.n_seq_max = config.contexts
        ctx_params.n_threads = self._threads
        ctx_params.n_threads_batch = self._threads
        ctx_params.kv_unified = False
        ctx_params.no_perf = True
        context = internals.LlamaContext(model=self.model, params=ctx_params, verbose=False)
        scheduler = BatchScheduler(
            self.model,
            context.ctx,
            n_seq=config.contexts,
            n_batch=config.n_batch,
            per_seq_ctx=self.per_seq_ctx,
            prefix_cache_tokens=config.prefix_cache_tokens,
        )
        return context, scheduler

    def with_adapter(self, name: str, path: Path) -> LlamaCppEngine:
        """The engine served as `name`: this model with a LoRA adapter, in its own context
        (llamacpp_adapters.py). The view shares everything else with this engine and owns
        nothing: closing it is a no-op, closing the base closes its adapter contexts."""
        view = copy.copy(self)
        view._name = name
        view._adapter = AdapterRef(name, path)
        return view

    def info(self) -> EngineInfo:
        return EngineInfo(
            kind="llamacpp",
            model=self._name,
            capabilities=("chat", "completion"),
            context_length=self.per_seq_ctx,
            detail=f"llama.cpp, {self._contexts} sequences batched, {self._threads} threads",
        )

    def queue_depth(self) -> int:
        return self.scheduler.queue_depth()

    def prefix_cache_stats(self) -> CacheStats:
        """Hits and reused tokens of the prefix cache (for /metrics)."""
        return self.scheduler.cache.stats

    def stats(self) -> dict[str, int]:
        """Sequences decoding now and requests waiting for a slot (for /healthz)."""
        return {"active": self.scheduler.active_count(), "queued": self.scheduler.queue_depth()}

    # -- tokens --------------------------------------------------------------------------------
    def _tokenize(self, text: str, *, add_bos: bool, special: bool) -> list[int]:
        return list(self.model.tokenize(text.encode("utf-8"), add_bos, special))

    def chat_prompt(self, messages: Sequence[ChatMessage]) -> list[int]:
        plain: list[Any] = [
            {"role": "system" if m.role == "developer" else m.role, "content": m.content}
            for m in messages
        ]
        rendered = self._formatter(messages=plain)
        return self._tokenize(rendered.prompt, add_bos=self._add_bos, special=True)

    async def tokenize(self, text: str) -> list[int]:
        return self._tokenize(text, add_bos=False, special=False)

    async def count_tokens(self, text: str) -> int:
        return len(await self.tokenize(text))

    # -- generation ----------------------------------------------------------------------------
    def _check_length(self, n_prompt: int) -> None:
        if n_prompt >= self.per_seq_ctx:
            raise ContextLengthExceededError(
                f"This model's context is {self.per_seq_ctx} tokens and the prompt has "
                f"{n_prompt}. Shorten the messages (or raise llamacpp.n_ctx in agadir.toml, "
                f"up to the model's trained length {self.model.n_ctx_train()}).",
                param="messages",
            )

    async def _run(
        self, prompt: list[int], params: SamplingParams, *, score: bool
    ) -> AsyncIterator[Delta]:
        self._check_length(len(prompt))
        queue: asyncio.Queue[Delta | BaseException] = asyncio.Queue()
        job = Job(
            prompt=prompt,
            params=params,
            emit=bridge(asyncio.get_running_loop(), queue),
            score_prompt=score,
            max_positions=self.per_seq_ctx,
        )
        adapter = self._adapter
        scheduler = (
            self.scheduler
            if adapter is None
            else await asyncio.to_thread(self.adapters.acquire, adapter)
        )
        scheduler.submit(job)
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if item.finish_reason is not None:
                    return
        finally:
            job.cancel()  # the client went away (or we finished): free the sequence
            if adapter is not None:
                self.adapters.release(adapter)

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams
    ) -> AsyncIterator[Delta]:
        return self._run(self.chat_prompt(messages), params, score=False)

    async def _complete(
        self, tokens: list[int], echo_text: str | None, params: SamplingParams
    ) -> AsyncIterator[Delta]:
        if echo_text is not None:
            yield Delta(text=echo_text)
        async for delta in self._run(
            tokens, params, score=echo_text is not None and params.logprobs
        ):
            yield delta

    def stream_complete(
        self, prompt: str, params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]:
        tokens = self._tokenize(prompt, add_bos=self._add_bos, special=False)
        if not tokens:
            bos = self.model.token_bos()
            tokens = [bos if bos >= 0 else self.model.token_eos()]
        return self._complete(tokens, prompt if echo else None, params)

    def stream_complete_ids(
        self, prompt: Sequence[int], params: SamplingParams, *, echo: bool = False
    ) -> AsyncIterator[Delta]:
        """A prompt given as token ids is decoded as given: no BOS is added (as in vLLM)."""
        tokens = self._checked_ids(prompt)
        return self._complete(tokens, self._detokenize(tokens) if echo else None, params)

    # -- the tokenizer, for clients (vLLM's /tokenize, /detokenize, /tokenizer_info) -----------
    def vocab_size(self) -> int:
        return int(self.model.n_vocab())

    def _checked_ids(self, tokens: Sequence[int]) -> list[int]:
        n_vocab = self.vocab_size()
        bad = next((t for t in tokens if not 0 <= t < n_vocab), None)
        if bad is not None:
            raise InvalidRequestError(
                f"Token id {bad} is outside this model's vocabulary (0 to {n_vocab - 1}).",
                param="prompt",
                code="invalid_token_id",
            )
        if not tokens:
            raise InvalidRequestError("The prompt has no tokens.", param="prompt")
        return list(tokens)

    def _detokenize(self, tokens: Sequence[int]) -> str:
        raw = self.model.detokenize(list(tokens), special=True)
        return bytes(raw).decode("utf-8", "replace")

    async def encode(self, text: str, *, add_special: bool) -> list[int]:
        """Special tokens written in the text are parsed (as Hugging Face tokenizers do);
        `add_special` adds the BOS the model expects."""
        return self._tokenize(text, add_bos=add_special and self._add_bos, special=True)

    async def encode_chat(self, messages: Sequence[ChatMessage]) -> list[int]:
        """The prompt a chat request would decode: the model's template, generation turn open."""
        return self.chat_prompt(messages)

    async def decode(self, tokens: Sequence[int]) -> str:
        return self._detokenize(self._checked_ids(tokens) if tokens else [])

    def tokenizer_info(self) -> dict[str, object]:
        def text(token: int) -> str | None:
            return self.model.token_get_text(token) if token >= 0 else None

        return {
            "tokenizer_class": "llama.cpp (GGUF vocabulary)",
            "bos_token": text(self.model.token_bos()),
            "eos_token": text(self.model.token_eos()),
            "pad_token": text(int(llama_cpp.llama_vocab_pad(self.model.vocab))),
            "add_bos_token": self._add_bos,
            "chat_template": self._template,
            "model_max_length": self.per_seq_ctx,
            "vocab_size": self.vocab_size(),
        }

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        raise unsupported(self._name, "embeddings (use the multilingual encoder model)")

    async def aclose(self) -> None:
        if self._adapter is not None:
            return  # a view: the base engine owns the model and the contexts
        await asyncio.to_thread(self.adapters.close)
        await asyncio.to_thread(self.scheduler.close)
        self.context.close()
        self.model.close()


def _extra_buffers(setting: str) -> bool:
    """Whether to let ggml repack weights into extra buffer types (AMX, AVX repacks)."""
    if setting != "auto":
        return setting == "on"
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return True
    return "amx_tile" not in flags


def quiet_llama_logs() -> None:
    """llama.cpp logs every tensor at load; keep only its errors."""
    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)


def create(manifest: ModelManifest, settings: Settings) -> LlamaCppEngine:
    if manifest.kind == "adapter":
        raise ModelFileError(
            f"'{manifest.name}' is an adapter: it is served on its base model's engine "
            "(EngineManager loads the base first)."
        )
    return LlamaCppEngine(manifest.name, Path(manifest.path), settings.llamacpp)
