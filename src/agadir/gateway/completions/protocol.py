"""Pydantic models of `/v1/completions`: text completion with `echo` and `logprobs`.

`echo` + `logprobs` + `max_tokens=0`-style scoring is what log-likelihood evaluation harnesses
(lm-evaluation-harness, our own evals) use, so prompt-token logprobs are returned when echoed.
`prompt` takes every shape OpenAI's API allows: a string, strings, token ids, or lists of token
ids (lm-evaluation-harness sends the last by default); each prompt is one choice.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr, model_validator

from agadir.errors import InvalidRequestError
from agadir.gateway.sampling import CommonGenerationFields
from agadir.gateway.usage import Usage

MAX_PROMPTS = 128
TokenIds = Annotated[
    list[Annotated[StrictInt, Field(ge=0)]], Field(min_length=1, max_length=1_000_000)
]
Text = Annotated[StrictStr, Field(max_length=4_000_000)]


class CompletionRequest(CommonGenerationFields):
    strict_ints: ClassVar[tuple[str, ...]] = (*CommonGenerationFields.strict_ints, "logprobs")
    strict_bools: ClassVar[tuple[str, ...]] = (*CommonGenerationFields.strict_bools, "echo")

    prompt: (
        Text
        | Annotated[list[Text], Field(min_length=1, max_length=MAX_PROMPTS)]
        | TokenIds
        | Annotated[list[TokenIds], Field(min_length=1, max_length=MAX_PROMPTS)]
    )
    max_tokens: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None  # 0: score only
    echo: bool = False
    logprobs: Annotated[StrictInt, Field(ge=0, le=20)] | None = None
    suffix: str | None = None

    @model_validator(mode="after")
    def _supported(self) -> CompletionRequest:
        if self.suffix:
            raise InvalidRequestError(
                "'suffix' (text insertion) is not supported; send the prompt alone.",
                param="suffix",
                code="unsupported_parameter",
            )
        return self

    def prompts(self) -> list[str | list[int]]:
        """Each prompt as text or token ids, in choice order."""
        prompt = self.prompt
        if isinstance(prompt, str):
            return [prompt]
        if prompt and isinstance(prompt[0], int):
            return [[int(t) for t in prompt]]
        return list(prompt)  # type: ignore[arg-type]


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
