"""Request fields shared by chat and text completions, and their translation to `SamplingParams`."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agadir.engines.base import SamplingParams
from agadir.errors import InvalidRequestError


class StreamOptions(BaseModel):
    include_usage: bool = False


class CommonGenerationFields(BaseModel):
    """Fields of OpenAI's generation requests that Agadir honours.

    Other fields (logit_bias, vLLM's top_k...) are kept and handed to the engine as
    `SamplingParams.extra`: an upstream engine forwards them, in-process engines ignore them.
    """

    model_config = ConfigDict(extra="allow")
    # Fields whose JSON type is checked before pydantic would coerce it (`true` -> 1, "5" -> 5).
    strict_ints: ClassVar[tuple[str, ...]] = ("max_tokens", "n", "seed")
    strict_bools: ClassVar[tuple[str, ...]] = ("stream",)
    strict_numbers: ClassVar[tuple[str, ...]] = (
        "temperature",
        "top_p",
        "presence_penalty",
        "frequency_penalty",
    )

    model: Annotated[str, Field(min_length=1, max_length=200)]
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] = 1.0
    top_p: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1, le=1)] = 1
    presence_penalty: Annotated[float, Field(ge=-2.0, le=2.0)] = 0.0
    frequency_penalty: Annotated[float, Field(ge=-2.0, le=2.0)] = 0.0
    user: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _json_types(cls, data: Any) -> Any:
        """A value of the wrong JSON type is a 400 naming the field, never silently coerced."""
        if not isinstance(data, dict):
            return data
        checks = (
            (
                cls.strict_ints,
                lambda v: isinstance(v, int) and not isinstance(v, bool),
                "an integer",
            ),
            (cls.strict_bools, lambda v: isinstance(v, bool), "true or false"),
            (
                cls.strict_numbers,
                lambda v: isinstance(v, int | float) and not isinstance(v, bool),
                "a number",
            ),
        )
        for names, fits, expected in checks:
            for name in names:
                value = data.get(name)
                if value is not None and not fits(value):
                    raise InvalidRequestError(
                        f"'{name}' must be {expected}, not {_json_type(value)}.",
                        param=name,
                        code="invalid_type",
                    )
        return data

    @field_validator("stop")
    @classmethod
    def _stop_list(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and len(value) > 4:
            raise ValueError("at most 4 stop sequences")
        return value

    def stop_tuple(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        items = [self.stop] if isinstance(self.stop, str) else self.stop
        return tuple(s for s in items if s)

    def sampling(
        self,
        default_max_tokens: int,
        *,
        logprobs: bool = False,
        top_logprobs: int = 0,
        json_mode: bool = False,
        max_tokens: int | None = None,
    ) -> SamplingParams:
        return SamplingParams(
            max_tokens=max_tokens or self.max_tokens or default_max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            stop=self.stop_tuple(),
            seed=self.seed,
            logprobs=logprobs,
            top_logprobs=top_logprobs,
            json_mode=json_mode,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
            extra=self.forwarded(),
        )

    def forwarded(self) -> dict[str, object]:
        """What the engine should pass on untouched: unknown fields, and `user`."""
        extra = dict(self.model_extra or {})
        if self.user is not None:
            extra["user"] = self.user
        return extra


class ResponseFormat(BaseModel):
    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: dict[str, object] | None = None

    def is_json(self) -> bool:
        if self.type == "json_schema":
            raise InvalidRequestError(
                "response_format type 'json_schema' is not supported yet; use 'json_object'.",
                param="response_format",
            )
        return self.type == "json_object"


def _json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    names = {bool: "a boolean", str: "a string", list: "an array", dict: "an object"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "that")
