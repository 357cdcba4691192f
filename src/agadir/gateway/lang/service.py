"""Language tools for HTTP callers: thin adapters over `agadir.lang`, run off the event loop.

Batches go to `identify_batch` in one call (it is vectorised); the work runs in a thread so a
large batch never stalls other requests.
"""

from __future__ import annotations

import asyncio

from agadir import lang
from agadir.gateway.lang.protocol import (
    Candidate,
    Identification,
    IdentifyRequest,
    IdentifyResponse,
    LabelScore,
    Normalized,
    NormalizeRequest,
    NormalizeResponse,
    SegmentOut,
    TransliterateRequest,
    TransliterateResponse,
    Transliteration,
)


def _identify(request: IdentifyRequest) -> IdentifyResponse:
    texts = request.texts()
    ranked = lang.identify_batch(texts, k=request.top_k)
    data = []
    for index, (text, labels) in enumerate(zip(texts, ranked, strict=True)):
        spans = None
        if request.segments:
            spans = [
                SegmentOut(start=s.start, end=s.end, label=s.label, text=s.text)
                for s in lang.segments(text)
            ]
        data.append(
            Identification(
                index=index,
                language=labels[0][0],
                labels=[LabelScore(label=lb, probability=p) for lb, p in labels],
                segments=spans,
            )
        )
    return IdentifyResponse(data=data)


def _transliterate(request: TransliterateRequest) -> TransliterateResponse:
    data = []
    for index, text in enumerate(request.texts()):
        if request.direction == "arabizi-arabic":
            ranked = lang.arabizi_to_arabic(text, n=request.candidates)
            candidates = [Candidate(text=t, score=s) for t, s in ranked] or [Candidate(text="")]
        elif request.direction == "arabic-arabizi":
            candidates = [Candidate(text=lang.arabic_to_arabizi(text))]
        elif request.direction == "tifinagh-latin":
            candidates = [Candidate(text=lang.tifinagh_to_latin(text))]
        else:
            candidates = [Candidate(text=lang.latin_to_tifinagh(text))]
        data.append(Transliteration(index=index, text=candidates[0].text, candidates=candidates))
    return TransliterateResponse(direction=request.direction, data=data)


def _normalize(request: NormalizeRequest) -> NormalizeResponse:
    return NormalizeResponse(
        data=[
            Normalized(index=i, text=lang.normalize(t, request.lang))
            for i, t in enumerate(request.texts())
        ]
    )


async def identify(request: IdentifyRequest) -> IdentifyResponse:
    return await asyncio.to_thread(_identify, request)


async def transliterate(request: TransliterateRequest) -> TransliterateResponse:
    return await asyncio.to_thread(_transliterate, request)


async def normalize(request: NormalizeRequest) -> NormalizeResponse:
    return await asyncio.to_thread(_normalize, request)
