"""`/v1/lang/*` over HTTP: identification, transliteration, normalisation, bad input."""

from __future__ import annotations

import httpx
import pytest


async def test_identify_batch_with_segments(echo_client: httpx.AsyncClient) -> None:
    texts = [
        "wach nta mzyan? ana bikhir lhamdulillah",
        "Le marché ouvre à huit heures.",
        "ⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ",
    ]
    r = await echo_client.post("/v1/lang/identify", json={"input": texts, "segments": True})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [d["language"] for d in data] == ["ary_Latn", "fra_Latn", "zgh_Tfng"]
    assert all(0 <= d["labels"][0]["probability"] <= 1 for d in data)
    spans = data[0]["segments"]
    assert spans[0]["start"] == 0 and spans[-1]["end"] == len(texts[0])


async def test_identify_und_for_no_language(echo_client: httpx.AsyncClient) -> None:
    r = await echo_client.post("/v1/lang/identify", json={"input": "12345 https://x.ma 🙂"})
    assert r.json()["data"][0]["language"] == "und"


async def test_transliterate_directions(echo_client: httpx.AsyncClient) -> None:
    r = await echo_client.post(
        "/v1/lang/transliterate", json={"input": "salam 3likom", "candidates": 3}
    )
    body = r.json()["data"][0]
    assert all("\u0600" <= ch <= "\u06ff" or ch == " " for ch in body["text"])
    assert 1 <= len(body["candidates"]) <= 3
    tif = await echo_client.post(
        "/v1/lang/transliterate", json={"input": "ⴰⵣⵓⵍ", "direction": "tifinagh-latin"}
    )
    latin = tif.json()["data"][0]["text"]
    assert latin == "azul"
    back = await echo_client.post(
        "/v1/lang/transliterate", json={"input": latin, "direction": "latin-tifinagh"}
    )
    assert back.json()["data"][0]["text"] == "ⴰⵣⵓⵍ"


async def test_normalize_is_idempotent(echo_client: httpx.AsyncClient) -> None:
    r = await echo_client.post("/v1/lang/normalize", json={"input": ["أَهْلاً وسهلاً ١٢٣"]})
    once = r.json()["data"][0]["text"]
    again = await echo_client.post("/v1/lang/normalize", json={"input": once})
    assert again.json()["data"][0]["text"] == once and "123" in once


@pytest.mark.parametrize(
    ("path", "payload", "status"),
    [
        ("/v1/lang/identify", {"input": []}, 422),
        ("/v1/lang/identify", {"text": "x"}, 422),
        ("/v1/lang/transliterate", {"input": "x", "direction": "klingon"}, 422),
        ("/v1/lang/normalize", {"input": "x", "lang": "xx_Cyrl"}, 400),
    ],
)
async def test_bad_input(
    echo_client: httpx.AsyncClient, path: str, payload: dict[str, object], status: int
) -> None:
    r = await echo_client.post(path, json=payload)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
