"""Stop-sequence hold-back and the echo engine's contract."""

from __future__ import annotations

import pytest

from agadir.engines.base import ChatMessage, SamplingParams, collect
from agadir.engines.echo import EchoEngine
from agadir.engines.llamacpp_sampling import StopMatcher


def feed(stops: tuple[str, ...], pieces: list[str]) -> tuple[str, bool]:
    matcher = StopMatcher(stops)
    out = []
    for piece in pieces:
        text, stopped = matcher.push(piece)
        out.append(text)
        if stopped:
            return "".join(out), True
    out.append(matcher.rest())
    return "".join(out), False


@pytest.mark.parametrize(
    ("stops", "pieces", "expected"),
    [
        ((), ["a", "b"], ("ab", False)),
        (("END",), ["hello E", "N", "D more"], ("hello ", True)),
        (("END",), ["hello E", "N", "x"], ("hello ENx", False)),
        (("\n\n", "###"), ["line\n", "\nnext"], ("line", True)),
        (("ab",), ["xa", "b"], ("x", True)),
        (("لا",), ["نعم ل", "ا شكرا"], ("نعم ", True)),
    ],
)
def test_stop_matcher(
    stops: tuple[str, ...], pieces: list[str], expected: tuple[str, bool]
) -> None:
    assert feed(stops, pieces) == expected


def test_stop_matcher_never_emits_held_text_twice() -> None:
    matcher = StopMatcher(("STOP",))
    emitted = "".join(matcher.push(p)[0] for p in ["a", "S", "T", "b", "c"]) + matcher.rest()
    assert emitted == "aSTbc"


async def test_echo_engine_is_deterministic() -> None:
    engine = EchoEngine()
    params = SamplingParams(max_tokens=3, logprobs=True)
    one = await collect(engine.stream_chat([ChatMessage("user", "w x y z")], params))
    two = await collect(engine.stream_chat([ChatMessage("user", "w x y z")], params))
    assert one == two
    assert one.text == "w x y " and one.finish_reason == "length" and len(one.logprobs) == 3
    vectors = (await engine.embed(["a", "a", "b"])).vectors
    assert vectors[0] == vectors[1] != vectors[2]
