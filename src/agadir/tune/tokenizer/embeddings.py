"""Rows for the new tokens: the mean of the base embeddings of each token's old pieces.

A new token ``t`` was, under the base tokenizer, the pieces ``p1..pk`` (its bytes segmented by
the base BPE). Its input row is ``mean(E[p1..pk])``, and its output row (LM head) the mean of
the head's rows for the same pieces, unless the two are tied, in which case one write sets both.
Rows with no usable piece fall back to the mean of all base rows ("mean resizing"). The model
therefore starts out treating a new token about as it treated the pieces it replaces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agadir.tune.tokenizer.extend import Extension

MARKER = "agadir_extension.json"  # written beside the weights; stage 1 reads base_size from it


@dataclass
class InitReport:
    from_pieces: int
    fallback: int
    tied: bool


def is_tied(model: Any) -> bool:
    out = model.get_output_embeddings()
    return out is None or out.weight is model.get_input_embeddings().weight


def init_new_rows(model: Any, base_tokenizer: Any, ext: Extension) -> InitReport:
    """Resize ``model`` to the extended vocabulary and fill the new rows (see module doc)."""
    import torch

    old_rows = model.get_input_embeddings().weight.shape[0]
    needed = max(len(ext.tokenizer), old_rows)
    tied = is_tied(model)
    model.resize_token_embeddings(needed, mean_resizing=False)
    if tied:
        model.tie_weights()
    emb = model.get_input_embeddings().weight
    head = None if tied else model.get_output_embeddings().weight
    base_model = base_tokenizer.backend_tokenizer.model
    report = InitReport(0, 0, tied)
    with torch.no_grad():
        emb_mean = emb[:old_rows].mean(dim=0)
        head_mean = head[:old_rows].mean(dim=0) if head is not None else None
        for tid, text in ext.new_tokens.items():
            pieces = [t.id for t in base_model.tokenize(text) if t.id < old_rows]
            if pieces:
                emb[tid] = emb[pieces].mean(dim=0)
                if head is not None:
                    head[tid] = head[pieces].mean(dim=0)
                report.from_pieces += 1
            else:
                emb[tid] = emb_mean
                if head is not None and head_mean is not None:
                    head[tid] = head_mean
                report.fallback += 1
    return report


def save_extended(
    out: Path, ext: Extension, base: str, model: Any | None, report: InitReport | None
) -> None:
    """Tokenizer (and model when given) in an HF folder, plus the marker naming the base size."""
    out.mkdir(parents=True, exist_ok=True)
    ext.tokenizer.save_pretrained(str(out))
    if model is not None:
        model.save_pretrained(str(out))
    marker = {
        "base": base,
        "base_size": ext.base_size,
        "vocab_size": len(ext.tokenizer),
        "new_tokens": len(ext.new_tokens),
        "merges": len(ext.merges),
        "targets": ext.targets,
        "collateral": [[f"U+{a:04X}", f"U+{b:04X}"] for a, b in ext.collateral],
        "init": None if report is None else report.__dict__,
    }
    (out / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")


def base_size_of(folder: Path) -> int | None:
    """The base vocabulary size recorded by `save_extended`, or None for a plain model."""
    path = Path(folder) / MARKER
    if not path.is_file():
        return None
    return int(json.loads(path.read_text(encoding="utf-8"))["base_size"])
