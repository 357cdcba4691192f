"""`agadir lang ...`: language tools on stdin or a file, one text per line.

Thin: reading lines (naming the line of invalid UTF-8) and printing JSON or TSV; every decision
is in `agadir.lang`. Errors are `AgadirError`s, which `agadir.cli.main` prints without a trace.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path

import typer

from agadir.lang.errors import LangInputError

app = typer.Typer(
    help="Moroccan language tools: identify, segment, normalise, transliterate, audit tokenizers.",
    no_args_is_help=True,
)


class Format(StrEnum):
    json = "json"
    tsv = "tsv"


class Direction(StrEnum):
    arabizi_to_arabic = "arabizi-arabic"
    arabic_to_arabizi = "arabic-arabizi"
    tifinagh_to_latin = "tifinagh-latin"
    latin_to_tifinagh = "latin-tifinagh"


_FILE = typer.Argument(None, help="Input file, one text per line (default: stdin).")
_FORMAT = typer.Option(Format.tsv, "--format", "-f", help="Output format.")


def _lines(path: Path | None) -> Iterator[str]:
    """Decoded lines without their newline; invalid UTF-8 raises with the line number."""
    if path is not None and not path.is_file():
        raise LangInputError(f"no such file: {path}", param="file")
    fh = path.open("rb") if path is not None else sys.stdin.buffer
    try:
        for number, raw in enumerate(fh, 1):
            try:
                yield raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                where = path or "stdin"
                raise LangInputError(
                    f"{where}: line {number} is not valid UTF-8 (byte {exc.start})", param="file"
                ) from exc
    finally:
        if path is not None:
            fh.close()


def _emit(fmt: Format, record: Mapping[str, object], tsv: list[str]) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps(record, ensure_ascii=False))
    else:
        typer.echo("\t".join(tsv))


@app.command("id")
def id_cmd(file: Path | None = _FILE, fmt: Format = _FORMAT, k: int = 1) -> None:
    """Identify the language of each line (top-k labels with probabilities)."""
    from agadir.lang import identify_batch

    lines = list(_lines(file))
    for text, ranked in zip(lines, identify_batch(lines, k=k), strict=True):
        record = {"text": text, "labels": [{"label": a, "prob": round(p, 4)} for a, p in ranked]}
        _emit(fmt, record, [f"{a}\t{p:.4f}" for a, p in ranked])


@app.command("segments")
def segments_cmd(file: Path | None = _FILE, fmt: Format = _FORMAT) -> None:
    """Split each line into language-labelled spans (character offsets)."""
    from agadir.lang import segments

    for number, text in enumerate(_lines(file), 1):
        spans = segments(text)
        record = {"line": number, "segments": [s.__dict__ for s in spans]}
        _emit(fmt, record, [f"{number}\t{s.start}\t{s.end}\t{s.label}\t{s.text}" for s in spans])


@app.command("normalize")
def normalize_cmd(
    file: Path | None = _FILE, fmt: Format = _FORMAT, lang: str | None = None
) -> None:
    """Normalise each line (script detected unless --lang ary_Arab/Latn/Tfng...)."""
    from agadir.lang import normalize

    for text in _lines(file):
        out = normalize(text, lang)
        _emit(fmt, {"text": text, "normalized": out}, [out])


_BY_SCRIPT = {
    "Tfng": Direction.tifinagh_to_latin,
    "Arab": Direction.arabic_to_arabizi,
    "Latn": Direction.arabizi_to_arabic,
}


@app.command("translit")
def translit_cmd(
    file: Path | None = _FILE,
    fmt: Format = _FORMAT,
    direction: Direction | None = typer.Option(
        None,
        "--direction",
        "-d",
        help="Default: by each line's script (Tifinagh→Latin, Arabic→Arabizi, Latin→Arabic).",
    ),
    n: int = typer.Option(1, help="Candidates per line (arabizi-arabic only)."),
) -> None:
    """Transliterate each line: Arabizi<->Arabic, Tifinagh<->Latin (IRCAM)."""
    from agadir import lang
    from agadir.lang.normalization import _dominant_script

    for text in _lines(file):
        way = direction or _BY_SCRIPT[_dominant_script(text)]
        if way is Direction.arabizi_to_arabic:
            cands = lang.arabizi_to_arabic(text, n=n)
        elif way is Direction.arabic_to_arabizi:
            cands = [(lang.arabic_to_arabizi(text), 0.0)]
        elif way is Direction.tifinagh_to_latin:
            cands = [(lang.tifinagh_to_latin(text), 0.0)]
        else:
            cands = [(lang.latin_to_tifinagh(text), 0.0)]
        record = {"text": text, "candidates": [{"text": c, "score": s} for c, s in cands]}
        _emit(fmt, record, [c for c, _ in cands])


@app.command("fertility")
def fertility_cmd(
    data: Path = typer.Option(..., help="Folder holding parallel/*.tsv."),
    out_md: Path | None = typer.Option(None, help="Also write the Markdown table here."),
    gguf: list[Path] = typer.Option([], help="GGUF files to audit (default: packaged one)."),
) -> None:
    """Tokens per word and per character by language for Mistral tokenizers (and GGUFs)."""
    from agadir.lang.fertility import fertility_grid, markdown_table
    from agadir.lang.fertility_sources import default_tokenizers, parallel_corpora

    md = markdown_table(fertility_grid(default_tokenizers(gguf), parallel_corpora(data)))
    typer.echo(md)
    if out_md is not None:
        out_md.write_text(md, encoding="utf-8")
