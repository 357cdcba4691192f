"""Tokenizer fertility: tokens per word and per character, by language.

Pure counting over texts and a ``tokenize`` callable; `fertility_sources` loads the Mistral
tokenizers, GGUF vocabularies and the shared parallel sets. Words are whitespace-separated
tokens, characters exclude whitespace, special tokens (BOS/EOS) are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

Tokenize = Callable[[str], int]


@dataclass(frozen=True)
class Fertility:
    """Totals for one (tokenizer, language) cell."""

    tokens: int
    words: int
    chars: int

    @property
    def per_word(self) -> float:
        return self.tokens / max(self.words, 1)

    @property
    def per_char(self) -> float:
        return self.tokens / max(self.chars, 1)


def measure(texts: Iterable[str], count_tokens: Tokenize) -> Fertility:
    """Token, word and non-space character totals over ``texts``."""
    tokens = words = chars = 0
    for text in texts:
        tokens += count_tokens(text)
        parts = text.split()
        words += len(parts)
        chars += sum(len(p) for p in parts)
    return Fertility(tokens, words, chars)


def fertility_grid(
    tokenizers: Mapping[str, Tokenize], corpora: Mapping[str, list[str]]
) -> dict[str, dict[str, Fertility]]:
    """``grid[tokenizer][language]`` for every pair."""
    return {
        name: {lang: measure(texts, fn) for lang, texts in corpora.items()}
        for name, fn in tokenizers.items()
    }


def markdown_table(grid: Mapping[str, Mapping[str, Fertility]]) -> str:
    """Rows = tokenizers, columns = languages, cells = ``tokens/word (tokens/char)``."""
    langs = list(next(iter(grid.values())).keys()) if grid else []
    lines = [
        "| tokenizer | " + " | ".join(langs) + " |",
        "|---|" + "---:|" * len(langs),
    ]
    for name, row in grid.items():
        cells = " | ".join(f"{row[lang].per_word:.2f} ({row[lang].per_char:.2f})" for lang in langs)
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines) + "\n\nCells: tokens per word (tokens per non-space character).\n"
