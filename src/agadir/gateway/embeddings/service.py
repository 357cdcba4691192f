"""Embeddings from the packaged multilingual encoder (or any model that embeds)."""

from __future__ import annotations

import base64

import numpy as np

from agadir.engines.base import Engine
from agadir.errors import ContextLengthExceededError, InvalidRequestError
from agadir.gateway.embeddings.protocol import EmbeddingItem, EmbeddingRequest, EmbeddingResponse
from agadir.gateway.generation import admissible_entry
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.state import GatewayState
from agadir.gateway.usage import Usage


class EmbeddingService:
    def __init__(self, state: GatewayState, ctx: RequestContext) -> None:
        self.state = state
        self.ctx = ctx

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        # the key's scopes before anything about the model: a 404 lists only what it may use
        entry = admissible_entry(
            self.state, self.ctx, model=request.model, capability="embedding", scope="embeddings"
        )
        if request.dimensions is not None:
            raise InvalidRequestError(
                "`dimensions` is not supported: this encoder has a fixed size.", param="dimensions"
            )
        engine = await self.state.engines.get(request.model)
        await self._within_token_cap(engine, request.texts())
        texts = await self.state.governance.admission.admit(
            self.ctx, scope="embeddings", entry=entry, texts=request.texts(), max_tokens=0
        )
        result = await engine.embed(texts)
        self.state.metrics.record_tokens(request.model, result.prompt_tokens, 0)
        await self.state.governance.admission.settle(self.ctx, result.prompt_tokens, 0, None)
        data = []
        for index, vector in enumerate(result.vectors):
            value: list[float] | str = vector
            if request.encoding_format == "base64":
                value = base64.b64encode(np.asarray(vector, dtype=np.float32).tobytes()).decode()
            data.append(EmbeddingItem(index=index, embedding=value))
        return EmbeddingResponse(
            data=data, model=request.model, usage=Usage.of(result.prompt_tokens, 0)
        )

    async def _within_token_cap(self, engine: Engine, texts: list[str]) -> None:
        """Refuse a request over `embeddings_max_input_tokens` before the encoder spends
        seconds of CPU on it; counting stops as soon as the cap is passed."""
        cap = self.state.settings.embeddings_max_input_tokens
        total = 0
        for text in texts:
            total += await engine.count_tokens(text)
            if total > cap:
                raise ContextLengthExceededError(
                    f"The input is over {cap} tokens, the most one embeddings request may carry "
                    "on this server (embeddings_max_input_tokens). Split it over several "
                    "requests.",
                    param="input",
                )
