"""Pydantic models of `/v1/chat/completions` (OpenAI's shape; unknown fields are ignored)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agadir.errors import InvalidRequestError
from agadir.gateway.sampling import CommonGenerationFields, ResponseFormat
from agadir.gateway.usage import Usage


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text"]
    text: str


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class ChatCompletionRequest(CommonGenerationFields):
    strict_ints: ClassVar[tuple[str, ...]] = (
        *CommonGenerationFields.strict_ints,
        "max_completion_tokens",
        "top_logprobs",
    )
    strict_bools: ClassVar[tuple[str, ...]] = (*CommonGenerationFields.strict_bools, "logprobs")

    messages: Annotated[list[ChatMessageIn], Field(min_length=1, max_length=4096)]
    max_completion_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    response_format: ResponseFormat | None = None
    logprobs: bool = False
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    # Agadir extension: answer from a knowledge base with any model (or use model "kb:NAME").
    knowledge_base: Annotated[str, Field(min_length=1, max_length=63)] | None = None
    # Grounded chat only: quote the passages, let the model write, or choose (docs/knowledge.md).
    answer_mode: Literal["auto", "extractive", "generative"] | None = None
    # Accepted so that a request that cannot be honoured is refused, not silently answered.
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None

    @model_validator(mode="after")
    def _supported(self) -> ChatCompletionRequest:
        """Options the models here cannot honour are a 400, not a reply that ignores them."""
        if self.top_logprobs is not None and not self.logprobs:
            raise InvalidRequestError(
                "'top_logprobs' needs 'logprobs': true.", param="top_logprobs"
            )
        if self.tools and (self.tool_choice == "required" or isinstance(self.tool_choice, dict)):
            raise InvalidRequestError(
                "Tool calls are not supported: the models served here answer in text only, so "
                "tool_choice 'required' or a named function cannot be honoured. Leave out "
                "'tools', or use tool_choice 'auto' or 'none'.",
                param="tool_choice",
                code="unsupported_parameter",
            )
        return self


class TopLogprob(BaseModel):
    token: str
    logprob: float
    bytes: list[int] | None = None


class TokenLogprobOut(TopLogprob):
    top_logprobs: list[TopLogprob] = Field(default_factory=list)


class ChoiceLogprobs(BaseModel):
    content: list[TokenLogprobOut] | None


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str
    logprobs: ChoiceLogprobs | None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    system_fingerprint: str | None = None
    # Grounded answers only (Agadir extension): passages checked against the stored text.
    citations: list[dict[str, Any]] | None = None
    answer_mode: str | None = None  # grounded answers: extractive, generative, or both
    extra: dict[str, Any] | None = Field(default=None, exclude=True)
