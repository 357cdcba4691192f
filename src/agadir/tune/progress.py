"""A rich progress bar for training: step, loss, tokens/s and ETA (replaces the trainer's tqdm).

Tokens come from the trainer's ``num_input_tokens_seen`` (counted over the real, packed
inputs), so tokens/s is what the device actually chewed through, padding excluded when packing.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from transformers import TrainerCallback


class RichProgressCallback(TrainerCallback):
    """One bar for the optimizer steps; the description carries loss and throughput."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.task: Any = None
        self.started = 0.0
        self.start_tokens = 0
        self.loss: float | None = None
        self.eval_loss: float | None = None
        self.tokens_per_s = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.progress = Progress(
            TextColumn("[bold]tune[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            "tune", total=state.max_steps, completed=state.global_step, info=""
        )
        self.started = time.perf_counter()
        self.start_tokens = int(getattr(state, "num_input_tokens_seen", 0) or 0)

    def _info(self, state: Any) -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        tokens = int(getattr(state, "num_input_tokens_seen", 0) or 0) - self.start_tokens
        self.tokens_per_s = tokens / elapsed
        parts = [f"{self.tokens_per_s:,.0f} tok/s"]
        if self.loss is not None:
            parts.append(f"loss {self.loss:.3f}")
        if self.eval_loss is not None:
            parts.append(f"eval {self.eval_loss:.3f}")
        return " · ".join(parts)

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step, info=self._info(state))

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        logs = logs or {}
        if "loss" in logs:
            self.loss = float(logs["loss"])
        if "eval_loss" in logs:
            self.eval_loss = float(logs["eval_loss"])

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step, info=self._info(state))
            self.progress.stop()
