"""Extend a byte-level BPE tokenizer with merges learned on target-language text.

The base tokenizer's vocabulary and merges are kept as they are: new tokens get ids after every
existing one, new merges rank after every base merge, and each new merge combines two tokens
that already exist (so every new token is produced by the encoder; `drop_unreachable` checks it
and removes any that is not). Which merges may be learned is `scripts.ScriptGuard`'s rule, which
is what keeps text outside the target scripts tokenized exactly as before.

Not handled: SentencePiece/char-level BPE with byte fallback (Mistral v1/v3 ``.model`` files);
the base must be a Hugging Face fast tokenizer with a byte-level BPE model.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agadir.tune.errors import TuneDataError
from agadir.tune.tokenizer.merges import LearnedMerges, Pair, learn_merges
from agadir.tune.tokenizer.scripts import Range, ScriptGuard, byte_alphabet, token_bytes


@dataclass
class Extension:
    """An extended tokenizer and what was added to it."""

    tokenizer: Any  # transformers PreTrainedTokenizerFast
    base_size: int  # len(base tokenizer): every id below it is a base token
    new_tokens: dict[int, str] = field(default_factory=dict)  # id -> byte-level token string
    merges: list[Pair] = field(default_factory=list)
    collateral: list[Range] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)


def _model_json(tokenizer: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(tokenizer.backend_tokenizer.to_str())
    model = data["model"]
    if model.get("type") != "BPE" or not model.get("merges"):
        raise TuneDataError("tokenizer extend needs a BPE tokenizer with merges (e.g. SmolLM2's)")
    if data.get("pre_tokenizer") is None or "ByteLevel" not in json.dumps(data["pre_tokenizer"]):
        raise TuneDataError(
            "tokenizer extend needs a byte-level BPE (GPT-2 style); this tokenizer has "
            f"pre_tokenizer {data.get('pre_tokenizer')}"
        )
    return data


def word_counts(
    tokenizer: Any, lines: Iterable[str], guard: ScriptGuard
) -> list[tuple[list[str], int]]:
    """Pre-tokenized words that hold a target character, segmented by the base tokenizer."""
    backend = tokenizer.backend_tokenizer
    pre = backend.pre_tokenizer
    decode = {c: b for b, c in byte_alphabet().items()}
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(piece for piece, _ in pre.pre_tokenize_str(line))
    out = []
    for word, count in counts.items():
        raw = token_bytes(word, decode)
        if raw is None or not any(guard.is_target(ord(c)) for c in raw.decode("utf-8", "ignore")):
            continue
        out.append(([t.value for t in backend.model.tokenize(word)], count))
    out.sort(key=lambda wc: (-wc[1], wc[0]))
    return out


def _guard_pairs(guard: ScriptGuard, vocab: dict[str, int], produced: set[str]) -> Any:
    decode = {c: b for b, c in byte_alphabet().items()}

    def allowed(pair: Pair) -> bool:
        merged = pair[0] + pair[1]
        if merged in produced:  # the base reaches it another way: ranks would interleave
            return False
        raw = token_bytes(merged, decode)
        return raw is not None and guard.check(raw).allowed

    return allowed


def build(
    base: Any, merges: Sequence[Pair], guard: ScriptGuard, targets: Sequence[str]
) -> Extension:
    """The base tokenizer plus ``merges`` (in rank order), as a transformers fast tokenizer."""
    from transformers import AutoTokenizer

    data = _model_json(base)
    vocab: dict[str, int] = data["model"]["vocab"]
    string_merges = isinstance(data["model"]["merges"][0], str)
    next_id = max([*vocab.values(), *(t["id"] for t in data.get("added_tokens", []))]) + 1
    ext = Extension(tokenizer=None, base_size=len(base), targets=list(targets))
    decode = {c: b for b, c in byte_alphabet().items()}
    collateral: set[Range] = set()
    for a, b in merges:
        merged = a + b
        if merged not in vocab:
            vocab[merged] = next_id
            ext.new_tokens[next_id] = merged
            next_id += 1
        data["model"]["merges"].append(f"{a} {b}" if string_merges else [a, b])
        ext.merges.append((a, b))
        raw = token_bytes(merged, decode)
        collateral.update(guard.check(raw).collateral if raw is not None else ())
    ext.collateral = sorted(collateral)
    with tempfile.TemporaryDirectory() as tmp:
        base.save_pretrained(tmp)
        (Path(tmp) / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        ext.tokenizer = AutoTokenizer.from_pretrained(tmp)
    if base.pad_token is not None and ext.tokenizer.pad_token is None:
        ext.tokenizer.pad_token = base.pad_token
    return ext


def unreachable(ext: Extension) -> list[int]:
    """New token ids the BPE model does not produce from the token's own bytes."""
    model = ext.tokenizer.backend_tokenizer.model
    bad = []
    for tid, text in ext.new_tokens.items():
        got = model.tokenize(text)
        if len(got) != 1 or got[0].id != tid:
            bad.append(tid)
    return bad


def drop_unreachable(
    base: Any, ext: Extension, guard: ScriptGuard, targets: Sequence[str]
) -> Extension:
    """Rebuild without unreachable tokens and every merge that uses them, until none is left."""
    while bad := unreachable(ext):
        gone = {ext.new_tokens[t] for t in bad}
        kept: list[Pair] = []
        for a, b in ext.merges:
            if a in gone or b in gone or a + b in gone:
                gone.add(a + b)
                continue
            kept.append((a, b))
        ext = build(base, kept, guard, targets)
    return ext


def _produced(tokenizer: Any) -> set[str]:
    """Every token some merge of ``tokenizer`` produces."""
    merges = _model_json(tokenizer)["model"]["merges"]
    return {(m.replace(" ", "", 1) if isinstance(m, str) else m[0] + m[1]) for m in merges}


def extend_tokenizer(
    base: Any,
    texts: Mapping[str, Iterable[str]],
    n_merges: int,
    min_count: int = 2,
    on_step: Callable[[str, int], None] | None = None,
) -> Extension:
    """Learn up to ``n_merges`` continued merges per target (``{"zgh_Tfng": texts, ...}``).

    Targets are learned one after the other, each on its own text and starting from the
    tokenizer extended so far: a pooled count would spend the budget on the script that splits
    worst (Tifinagh) and starve the others.
    """
    targets = list(texts)
    union = ScriptGuard.for_labels(targets)
    merges: list[Pair] = []
    current = base
    for target in targets:
        guard = ScriptGuard.for_labels([target])
        words = word_counts(current, texts[target], guard)
        if not words:
            raise TuneDataError(f"the {target} text holds no word in that script")
        vocab = _model_json(current)["model"]["vocab"]
        step = (lambda n, t=target: on_step(t, n)) if on_step is not None else None
        learned: LearnedMerges = learn_merges(
            words, n_merges, _guard_pairs(guard, vocab, _produced(current)), min_count, step
        )
        merges += learned.merges
        current = build(base, merges, union, targets).tokenizer
    ext = build(base, merges, union, targets)
    return drop_unreachable(base, ext, union, targets)
