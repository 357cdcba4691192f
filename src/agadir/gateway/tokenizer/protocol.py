"""Pydantic models of vLLM's tokenizer endpoints, which lm-evaluation-harness's remote
tokenizer calls (it sends no `model`: the server's default model answers)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from agadir.gateway.chat.protocol import ChatMessageIn

ModelName = Annotated[str, Field(min_length=1, max_length=200)]


class TokenizeRequest(BaseModel):
    """Either `prompt` (text) or `messages` (rendered with the model's chat template)."""

    model_config = ConfigDict(extra="ignore")

    model: ModelName | None = None
    prompt: Annotated[StrictStr, Field(max_length=1_000_000)] | None = None
    messages: Annotated[list[ChatMessageIn], Field(min_length=1, max_length=4096)] | None = None
    add_special_tokens: StrictBool = True
    return_token_strs: StrictBool = False


class TokenizeResponse(BaseModel):
    count: int
    max_model_len: int
    tokens: list[int]
    token_strs: list[str] | None = None


class DetokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: ModelName | None = None
    tokens: Annotated[list[Annotated[StrictInt, Field(ge=0)]], Field(max_length=1_000_000)]


class DetokenizeResponse(BaseModel):
    prompt: str
