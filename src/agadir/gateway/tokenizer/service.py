"""Tokenize and detokenize with a served model's own tokenizer, under the key's scopes.

Governed like generation up to the engine (the `completions` scope and the key's model scope,
checked before the model is named in any error), but nothing is generated, so no quota is
reserved. Only engines that expose their tokenizer (`TokenEngine`: llama.cpp) answer; others
get a 400 saying so.
"""

from __future__ import annotations

from typing import Any

from agadir.engines.base import ChatMessage, TokenEngine
from agadir.errors import InvalidRequestError
from agadir.gateway.generation import admissible_entry
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.state import GatewayState
from agadir.gateway.tokenizer.protocol import (
    DetokenizeRequest,
    DetokenizeResponse,
    TokenizeRequest,
    TokenizeResponse,
)

SCOPE = "completions"


class TokenizerService:
    def __init__(self, state: GatewayState, ctx: RequestContext) -> None:
        self.state = state
        self.ctx = ctx

    async def _engine(self, model: str | None) -> tuple[str, TokenEngine]:
        name = model or self.state.settings.model
        admissible_entry(self.state, self.ctx, model=name, capability="completion", scope=SCOPE)
        self.ctx.model = name
        engine = await self.state.engines.get(name)
        if not isinstance(engine, TokenEngine):
            raise InvalidRequestError(
                f"Model '{name}' does not expose its tokenizer (only models run in-process do).",
                param="model",
                code="unsupported_capability",
            )
        return name, engine

    async def tokenize(self, request: TokenizeRequest) -> TokenizeResponse:
        if (request.prompt is None) == (request.messages is None):
            raise InvalidRequestError("Send either 'prompt' or 'messages'.", param="prompt")
        _, engine = await self._engine(request.model)
        if request.messages is not None:
            tokens = await engine.encode_chat(
                [ChatMessage(m.role, m.text()) for m in request.messages]
            )
        else:
            assert request.prompt is not None
            tokens = await engine.encode(request.prompt, add_special=request.add_special_tokens)
        strs = [await engine.decode([t]) for t in tokens] if request.return_token_strs else None
        await self.state.governance.audit(self.ctx, 200)
        return TokenizeResponse(
            count=len(tokens),
            max_model_len=engine.info().context_length,
            tokens=tokens,
            token_strs=strs,
        )

    async def detokenize(self, request: DetokenizeRequest) -> DetokenizeResponse:
        _, engine = await self._engine(request.model)
        prompt = await engine.decode(request.tokens)
        await self.state.governance.audit(self.ctx, 200)
        return DetokenizeResponse(prompt=prompt)

    async def info(self, model: str | None) -> dict[str, Any]:
        name, engine = await self._engine(model)
        await self.state.governance.audit(self.ctx, 200)
        return {"model": name, **engine.tokenizer_info()}
