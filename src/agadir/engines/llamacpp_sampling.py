"""Per-sequence sampling for the llama.cpp engine: sampler chains, JSON grammar, logprobs, stops.

Sampling runs in llama.cpp's own sampler chain (C speed, grammar support); log-probabilities are
computed separately from the raw logits so they describe the model's distribution, as OpenAI's
API does, not the distribution after temperature/top-p.
"""

from __future__ import annotations

import codecs
import ctypes
import random
from collections.abc import Sequence
from typing import Any

import llama_cpp
import numpy as np

from agadir.engines.base import SamplingParams

# A GBNF grammar for one JSON object (response_format json_object). Whitespace is bounded so a
# small model cannot loop forever on spaces.
JSON_OBJECT_GBNF = r"""
root    ::= object
value   ::= object | array | string | number | ("true" | "false" | "null")
object  ::= "{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}"
array   ::= "[" ws ( value ws ( "," ws value ws )* )? "]"
string  ::= "\"" ( [^"\\\x00-\x1f] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\""
number  ::= "-"? ( [0-9] | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,4} )?
ws      ::= [ \t\n]{0,4}
"""


class SamplerChain:
    """A llama.cpp sampler chain owned by one sequence (freed with it)."""

    def __init__(self, vocab: Any, params: SamplingParams) -> None:
        chain_params = llama_cpp.llama_sampler_chain_default_params()
        self.ptr = llama_cpp.llama_sampler_chain_init(chain_params)
        add = llama_cpp.llama_sampler_chain_add
        if params.presence_penalty or params.frequency_penalty:
            add(
                self.ptr,
                llama_cpp.llama_sampler_init_penalties(
                    64, 1.0, params.frequency_penalty, params.presence_penalty
                ),
            )
        if params.json_mode:
            grammar = llama_cpp.llama_sampler_init_grammar(
                vocab, JSON_OBJECT_GBNF.encode(), b"root"
            )
            if grammar is None:
                raise RuntimeError("llama.cpp rejected the JSON grammar")
            add(self.ptr, grammar)
        if params.temperature <= 0.0:
            add(self.ptr, llama_cpp.llama_sampler_init_greedy())
        else:
            if params.top_p < 1.0:
                add(self.ptr, llama_cpp.llama_sampler_init_top_p(params.top_p, 1))
            add(self.ptr, llama_cpp.llama_sampler_init_temp(params.temperature))
            seed = params.seed if params.seed is not None else random.getrandbits(32)
            add(self.ptr, llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF))

    def sample(self, ctx: Any, batch_index: int) -> int:
        return int(llama_cpp.llama_sampler_sample(self.ptr, ctx, batch_index))

    def close(self) -> None:
        if self.ptr is not None:
            llama_cpp.llama_sampler_free(self.ptr)
            self.ptr = None


def logits_row(ctx: Any, batch_index: int, n_vocab: int) -> np.ndarray:
    """The logits llama.cpp produced for one batch position, as a numpy view (no copy)."""
    ptr = llama_cpp.llama_get_logits_ith(ctx, batch_index)
    return np.ctypeslib.as_array(ptr, shape=(n_vocab,))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float64) - float(logits.max())
    return shifted - float(np.log(np.exp(shifted).sum()))


def top_alternatives(logprobs: np.ndarray, k: int) -> list[tuple[int, float]]:
    if k <= 0:
        return []
    idx = np.argpartition(-logprobs, k)[:k]
    idx = idx[np.argsort(-logprobs[idx])]
    return [(int(i), float(logprobs[i])) for i in idx]


class Detokenizer:
    """Turns token ids into text incrementally; a multi-byte UTF-8 character split across tokens
    is held back until the token that completes it (byte-level vocabularies split Arabic letters
    and emoji that way)."""

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab
        self._buf = ctypes.create_string_buffer(256)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def piece(self, token: int) -> bytes:
        n = llama_cpp.llama_token_to_piece(self.vocab, token, self._buf, 256, 0, False)
        return self._buf.raw[: max(n, 0)]

    def feed(self, token: int) -> str:
        return self._decoder.decode(self.piece(token))

    def flush(self) -> str:
        """The end of a generation: bytes of a character the last token left incomplete (a
        reply cut by `max_tokens` inside an Arabic letter or an emoji) are dropped, never sent
        as U+FFFD. Nothing else can be pending: complete characters leave at `feed`."""
        self._decoder.reset()
        return ""


class StopMatcher:
    """Holds back text that might be the start of a stop sequence until it is decided."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self.text = ""
        self.emitted = 0

    def push(self, new_text: str) -> tuple[str, bool]:
        """Add text; return (text safe to emit now, whether a stop sequence was hit)."""
        self.text += new_text
        if not self.stops:
            out, self.emitted = self.text[self.emitted :], len(self.text)
            return out, False
        window = max(0, self.emitted - max(len(s) for s in self.stops))
        hits = [i for s in self.stops if (i := self.text.find(s, window)) >= 0]
        if hits:
            cut = min(hits)
            out = self.text[self.emitted : cut] if cut > self.emitted else ""
            self.emitted = max(self.emitted, cut)
            return out, True
        hold = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self.text)), 0, -1):
                if self.text.endswith(stop[:size]):
                    hold = max(hold, size)
                    break
        safe = len(self.text) - hold
        out = self.text[self.emitted : safe] if safe > self.emitted else ""
        self.emitted = max(self.emitted, safe)
        return out, False

    def rest(self) -> str:
        """Text still held back when generation ends without a stop."""
        out, self.emitted = self.text[self.emitted :], len(self.text)
        return out
