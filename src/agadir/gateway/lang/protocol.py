"""Pydantic models of `/v1/lang/identify`, `/v1/lang/transliterate`, `/v1/lang/normalize`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Annotated[str, Field(max_length=1_000_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: Text | Annotated[list[Text], Field(min_length=1, max_length=10_000)]

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


class IdentifyRequest(_Body):
    top_k: Annotated[int, Field(ge=1, le=13)] = 3
    segments: bool = False


class LabelScore(BaseModel):
    label: str
    probability: float


class SegmentOut(BaseModel):
    start: int
    end: int
    label: str
    text: str


class Identification(BaseModel):
    index: int
    language: str
    labels: list[LabelScore]
    segments: list[SegmentOut] | None = None


class IdentifyResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[Identification]


Direction = Literal["arabizi-arabic", "arabic-arabizi", "tifinagh-latin", "latin-tifinagh"]


class TransliterateRequest(_Body):
    direction: Direction = "arabizi-arabic"
    candidates: Annotated[int, Field(ge=1, le=10)] = 1


class Candidate(BaseModel):
    text: str
    score: float | None = None


class Transliteration(BaseModel):
    index: int
    text: str
    candidates: list[Candidate]


class TransliterateResponse(BaseModel):
    object: Literal["list"] = "list"
    direction: Direction
    data: list[Transliteration]


class NormalizeRequest(_Body):
    lang: str | None = Field(
        None, description="Label or script (ary_Arab, Latn...); auto if unset."
    )


class Normalized(BaseModel):
    index: int
    text: str


class NormalizeResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[Normalized]
