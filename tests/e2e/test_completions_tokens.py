"""End to end on the packaged SmolLM2: prompt shapes for log-likelihood evaluation, the vLLM
tokenizer endpoints, prompt scores checked against llama-cpp-python's own logits, and replies
cut inside a multi-byte character.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from tests.servers import RunningServer

pytestmark = pytest.mark.e2e
MODEL = "smollm2-135m-instruct"


@pytest.fixture
def client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=server.admin_key, max_retries=0)


def _post(server: RunningServer, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{server.base_url}{path}", json=body, headers=server.headers, timeout=60)


def _tokens(server: RunningServer, text: str) -> list[int]:
    r = _post(server, "/tokenize", {"prompt": text, "add_special_tokens": False})
    assert r.status_code == 200, r.text
    tokens: list[int] = r.json()["tokens"]
    return tokens


def test_tokenize_detokenize_and_info_answer_as_vllm_does(server: RunningServer) -> None:
    text = "Salam, the souk opens at 8. السوق يفتح"
    r = _post(server, "/tokenize", {"prompt": text, "return_token_strs": True})
    body = r.json()
    assert r.status_code == 200 and body["count"] == len(body["tokens"]) > 5
    assert len(body["token_strs"]) == body["count"]
    cards = httpx.get(f"{server.base_url}/v1/models", headers=server.headers).json()["data"]
    assert body["max_model_len"] == next(c for c in cards if c["id"] == MODEL)["context_length"]
    # lm-evaluation-harness sends neither `model` nor headers beyond the key
    back = _post(server, "/detokenize", {"tokens": body["tokens"]})
    assert back.status_code == 200 and back.json() == {"prompt": text}
    info = httpx.get(f"{server.base_url}/tokenizer_info", headers=server.headers).json()
    assert info["model"] == MODEL and info["eos_token"] and "chat_template" in info
    assert len(_tokens(server, info["eos_token"])) == 1  # special tokens parse, as in HF
    chat = _post(server, "/tokenize", {"messages": [{"role": "user", "content": "Salam"}]}).json()
    assert chat["count"] > len(_tokens(server, "Salam"))  # the template's turn markers


def test_tokenizer_endpoints_are_governed(server: RunningServer) -> None:
    no_key = httpx.post(f"{server.base_url}/tokenize", json={"prompt": "x"}, timeout=30)
    assert no_key.status_code == 401
    bad_id = _post(server, "/detokenize", {"tokens": [10**9]})
    assert bad_id.status_code == 400 and bad_id.json()["error"]["param"] == "prompt"
    unknown = _post(server, "/tokenize", {"model": "gpt-99", "prompt": "x"})
    assert unknown.status_code == 404


def test_every_prompt_shape_gives_the_same_scores(server: RunningServer) -> None:
    """A string, token ids, and batches of either score the same tokens the same way."""
    texts = ["The capital of Morocco is Rabat", "Agadir lies on the Atlantic coast"]
    ids = [_tokens(server, t) for t in texts]
    common = {"model": MODEL, "echo": True, "logprobs": 1, "max_tokens": 1, "temperature": 0}
    shapes: list[object] = [texts[0], texts, ids[0], ids]
    answers = [_post(server, "/v1/completions", {**common, "prompt": p}).json() for p in shapes]
    single_text, batch_text, single_ids, batch_ids = answers
    assert [c["index"] for c in batch_ids["choices"]] == [0, 1]
    for batch in (batch_text, batch_ids):
        assert len(batch["choices"]) == 2
    reference = [c["logprobs"]["token_logprobs"] for c in batch_ids["choices"]]
    for prompt_ids, scores in zip(ids, reference, strict=True):
        assert len(scores) == len(prompt_ids) + 1  # every prompt token, then the generated one
    for answer in (single_text, batch_text, single_ids):
        _assert_close(answer["choices"][0]["logprobs"]["token_logprobs"], reference[0])
    _assert_close(batch_text["choices"][1]["logprobs"]["token_logprobs"], reference[1])
    assert batch_ids["choices"][0]["text"].startswith(texts[0])
    assert batch_ids["usage"]["prompt_tokens"] == sum(map(len, ids))


def _assert_close(got: list[float | None], want: list[float | None]) -> None:
    assert len(got) == len(want)
    assert got[0] is None and want[0] is None
    np.testing.assert_allclose(
        np.array(got[1:], dtype=float), np.array(want[1:], dtype=float), atol=2e-3
    )


def test_echo_logprobs_match_llama_cpp_python_logits(
    server: RunningServer, smollm_path: Path
) -> None:
    """Each prompt token's logprob is log_softmax of llama-cpp-python's own logits at the
    position before it, token by token."""
    import llama_cpp

    text = "Marrakech is famous for its souks and the Jemaa el-Fna square."
    ids = _tokens(server, text)
    answer = _post(
        server,
        "/v1/completions",
        {"model": MODEL, "prompt": ids, "echo": True, "logprobs": 3, "max_tokens": 0},
    ).json()
    scores = answer["choices"][0]["logprobs"]["token_logprobs"]
    assert len(scores) == len(ids) and scores[0] is None
    # The engine keeps llama.cpp's default attention (flash attention, chosen automatically on
    # CPU); the reference must run the same kernels: without it, scores differ by up to ~0.4.
    llm = llama_cpp.Llama(
        model_path=str(smollm_path),
        n_ctx=256,
        logits_all=True,
        flash_attn=True,
        verbose=False,
        n_threads=2,
    )
    try:
        llm.eval(ids)
        logits = np.array(llm.scores[: len(ids)], dtype=np.float64)
    finally:
        llm.close()
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = [float(log_probs[i - 1, ids[i]]) for i in range(1, len(ids))]
    np.testing.assert_allclose(np.array(scores[1:], dtype=float), expected, atol=2e-3)
    tops = answer["choices"][0]["logprobs"]["top_logprobs"]
    for i in range(1, len(ids)):
        best = float(log_probs[i - 1].max())
        assert max(tops[i].values()) == pytest.approx(best, abs=2e-3)


@pytest.mark.parametrize("text", ["اكتب جملة بالعربية عن إفران", "Write three emoji: 🌞🌴🐪"])
def test_replies_cut_by_max_tokens_never_end_in_a_broken_character(
    client: openai.OpenAI, text: str
) -> None:
    for max_tokens in range(1, 9):
        kwargs = dict(
            model=MODEL,
            messages=[{"role": "user", "content": text}],
            temperature=0,
            max_tokens=max_tokens,
        )
        reply = client.chat.completions.create(**kwargs)  # type: ignore[call-overload]
        whole = reply.choices[0].message.content or ""
        streamed = "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(stream=True, **kwargs)  # type: ignore[call-overload]
            if c.choices
        )
        completion = (
            client.completions.create(
                model=MODEL, prompt=text, max_tokens=max_tokens, temperature=0
            )
            .choices[0]
            .text
        )
        for out in (whole, streamed, completion):
            assert "\ufffd" not in out, (max_tokens, out)
        assert streamed == whole


def test_models_report_the_context_a_request_can_use(server: RunningServer) -> None:
    cards = httpx.get(f"{server.base_url}/v1/models", headers=server.headers).json()["data"]
    card = next(c for c in cards if c["id"] == MODEL)
    assert card["context_length"] == 2048  # llamacpp.n_ctx, not the trained 8192
    too_long = _post(
        server,
        "/v1/completions",
        {"model": MODEL, "prompt": [1] * card["context_length"], "max_tokens": 1},
    )
    assert too_long.status_code == 413, json.dumps(too_long.json())


def test_text_offsets_count_characters_when_tokens_split_a_letter(server: RunningServer) -> None:
    # SmolLM2 spells several Arabic and Tifinagh letters with two byte tokens, each shown as
    # U+FFFD: the offsets must still point into the echoed text (agadir eval's text path and
    # any client that slices the prompt by `text_offset` rely on it)
    prompt = "ڭاع ما فهمتش، ⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ"
    body = {"model": MODEL, "prompt": prompt, "echo": True, "logprobs": 0, "max_tokens": 0}
    r = _post(server, "/v1/completions", body)
    assert r.status_code == 200, r.text
    choice = r.json()["choices"][0]
    assert choice["text"] == prompt
    tokens, offsets = choice["logprobs"]["tokens"], choice["logprobs"]["text_offset"]
    assert any("\ufffd" in t for t in tokens), "the prompt no longer splits a letter: pick another"
    assert offsets == sorted(offsets) and offsets[-1] < len(prompt)
    for token, offset in zip(tokens, offsets, strict=True):
        if "\ufffd" not in token:  # a whole-character token sits exactly where its text is
            assert prompt[offset : offset + len(token)] == token, (token, offset)
