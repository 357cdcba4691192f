"""Pydantic models of `/v1/completions`: text completion with `echo` and `logprobs`.

`echo` + `logprobs` + `max_tokens=0`-style scoring is what log-likelihood evaluation harnesses
(lm-evaluation-harness, our own evals) use, so prompt-token logprobs are returned when echoed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from agadir.gateway.sampling import CommonGenerationFields
from agadir.gateway.usage import Usage


class CompletionRequest(CommonGenerationFields):
    prompt: (
        Annotated[str, Field(max_length=4_000_000)]
        | Annotated[list[str], Field(min_length=1, max_length=1)]
    )
    max_tokens: Annotated[int, Field(ge=0, le=1_000_000)] | None = None  # 0: score the prompt
    echo: bool = False
    logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    suffix: str | None = None

    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]


class CompletionLogprobs(BaseModel):
    tokens: list[str]
    token_logprobs: list[float | None]
    top_logprobs: list[dict[str, float] | None]
    text_offset: list[int]


class CompletionChoice(BaseModel):
    index: int = 0
    text: str
    finish_reason: str
    logprobs: CompletionLogprobs | None = None


class Completion(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage
