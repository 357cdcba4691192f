"""`agadir tokenizer`: extend a model's tokenizer for Tifinagh and Darija.

Thin: option parsing and printing; the work is in `agadir.tune.tokenizer`. Shares the tune extra.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agadir.config import DEFAULT_MODEL

app = typer.Typer(
    help="Extend a tokenizer with merges for target scripts (Tifinagh, Darija).",
    no_args_is_help=True,
)


@app.command("extend")
def extend_cmd(
    corpus: list[Path] = typer.Option(
        ..., "--corpus", help="Corpus folder (data/<lang>/*.jsonl[.gz]) or text file; repeatable."
    ),
    target: list[str] = typer.Option(
        ..., "--target", help="Target language label: zgh_Tfng, ary_Arab, ary_Latn; repeatable."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the extended model."),
    base: str = typer.Option(
        DEFAULT_MODEL, help="Base model: model-store name, .gguf file or HF folder."
    ),
    merges: int = typer.Option(2000, min=1, help="New merges to learn per target, at most."),
    min_count: int = typer.Option(2, min=1, help="Stop a target when its best pair is rarer."),
    tokenizer_only: bool = typer.Option(
        False, "--tokenizer-only", help="Write the tokenizer only (no model weights)."
    ),
) -> None:
    """Learn continued BPE merges for TARGETs and write a model whose new rows are initialised."""
    from agadir.tune.deps import require_tune_extra

    require_tune_extra()
    from agadir.config import load_settings
    from agadir.tune.errors import TuneRecipeError
    from agadir.tune.tokenizer.corpus import CorpusStats, files_by_target, read_texts
    from agadir.tune.tokenizer.embeddings import init_new_rows, save_extended
    from agadir.tune.tokenizer.extend import extend_tokenizer
    from agadir.tune.tokenizer.loading import load_base_tokenizer
    from agadir.tune.tokenizer.scripts import script_of_label

    for label in target:
        try:
            script_of_label(label)
        except ValueError as exc:
            raise TuneRecipeError(str(exc)) from exc
    err = Console(stderr=True)
    models_dir = load_settings().models_dir
    stats = CorpusStats()
    texts = {
        t: list(read_texts(files, stats)) for t, files in files_by_target(corpus, target).items()
    }
    err.print(f"corpus: {stats.texts:,} texts from {stats.files} files ({stats.skipped} skipped)")
    base_tok = load_base_tokenizer(base, models_dir)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err) as bar:
        tasks = {t: bar.add_task(f"merges {t}", total=merges) for t in target}
        ext = extend_tokenizer(
            base_tok, texts, merges, min_count, lambda t, n: bar.update(tasks[t], completed=n)
        )
    model = report = None
    if not tokenizer_only:
        from agadir.tune.base import load_base

        err.print("loading the base model to initialise the new rows…")
        model = load_base(base, models_dir).model
        report = init_new_rows(model, base_tok, ext)
    save_extended(output, ext, base, model, report)
    table = Table("target", "texts", "tokens before", "tokens after", "change")
    for label, lines in texts.items():
        sample = lines[:2000]
        before = sum(len(base_tok.encode(s, add_special_tokens=False)) for s in sample)
        after = sum(len(ext.tokenizer.encode(s, add_special_tokens=False)) for s in sample)
        table.add_row(
            label,
            f"{len(sample):,}",
            f"{before:,}",
            f"{after:,}",
            f"{100 * (after / max(before, 1) - 1):+.1f}%",
        )
    Console().print(table)
    ranges = ", ".join(f"U+{a:04X}-U+{b:04X}" for a, b in ext.collateral) or "none"
    err.print(
        f"{len(ext.new_tokens):,} new tokens (ids {ext.base_size}+), {len(ext.merges):,} merges; "
        f"other characters whose tokens may change: {ranges}"
    )
    if report is not None:
        err.print(
            f"rows: {report.from_pieces} from pieces, {report.fallback} mean fallback, "
            f"tied embeddings: {report.tied}"
        )
    err.print(f"written to {output}")
