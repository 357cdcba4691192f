"""Prefix cache for the llama.cpp engine: reuse the KV cells a finished request left behind.

Why per sequence slot: each sequence id of the batched context owns its KV cells (the context
is built with ``kv_unified = False``, one KV stream per sequence). When a request finishes, its
cells are kept; the next request placed on that slot only evaluates the tokens after the
longest common prefix of its prompt and what the slot holds. Nothing is copied, and llama.cpp's
``seq_rm`` trims the part that differs. This is the bookkeeping half (which slot holds which
tokens, which to reuse, which to evict); `BatchScheduler` does the llama.cpp calls.

The cells are allocated up front (``contexts × n_ctx``), so a cached prefix costs no extra
memory; `max_tokens` still bounds what is kept, least recently used slots emptied first, so
that an operator can turn the cache down (or off with 0) without touching the context size.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CacheStats:
    """Counters read by the `/metrics` collector (plain integers: one writer thread)."""

    lookups: int = 0  # requests admitted
    hits: int = 0  # requests that reused at least one evaluated token
    reused_tokens: int = 0  # prompt tokens not evaluated again
    prompt_tokens: int = 0  # prompt tokens of the admitted requests


@dataclass
class _Slot:
    tokens: list[int] = field(default_factory=list)  # tokens whose KV cells the slot holds
    last_used: int = -1


def common_prefix(a: list[int], b: list[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class PrefixCache:
    """Which tokens each idle slot holds, and which slot a new prompt should take."""

    def __init__(self, n_slots: int, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self.slots = [_Slot() for _ in range(n_slots)]
        self.stats = CacheStats()
        self._clock = 0

    @property
    def enabled(self) -> bool:
        return self.max_tokens > 0

    def choose(self, free: list[int], prompt: list[int], *, reuse: bool) -> tuple[int, int]:
        """The free slot to run `prompt` on and how many of its tokens are already evaluated.

        The slot with the longest match wins; without a match, the least recently used one
        (so recent prefixes survive). At least one prompt token is always left to evaluate:
        the logits for the first new token come from it.
        """
        best, best_len = min(free, key=lambda s: self.slots[s].last_used), 0
        if self.enabled and reuse:
            for s in free:
                n = min(common_prefix(self.slots[s].tokens, prompt), len(prompt) - 1)
                if n > best_len:
                    best, best_len = s, n
        self.stats.lookups += 1
        self.stats.prompt_tokens += len(prompt)
        if best_len > 0:
            self.stats.hits += 1
            self.stats.reused_tokens += best_len
        self._clock += 1
        self.slots[best].last_used = self._clock
        self.slots[best].tokens = []  # the slot's cells now belong to the running request
        return best, best_len

    def store(self, slot: int, tokens: list[int]) -> None:
        """A request on `slot` ended with these tokens evaluated in its cells."""
        self.slots[slot].tokens = tokens if self.enabled else []
        self._clock += 1
        self.slots[slot].last_used = self._clock

    def forget(self, slot: int) -> None:
        self.slots[slot].tokens = []

    def over_budget(self, busy: set[int]) -> list[int]:
        """Idle slots to empty, least recently used first, until the kept tokens fit."""
        idle = sorted(
            (s for s, slot in enumerate(self.slots) if s not in busy and slot.tokens),
            key=lambda s: self.slots[s].last_used,
        )
        total = sum(len(self.slots[s].tokens) for s in idle)
        evict = []
        for s in idle:
            if total <= self.max_tokens:
                break
            total -= len(self.slots[s].tokens)
            evict.append(s)
        return evict
