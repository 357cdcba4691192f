"""Tokenize and detokenize with a served model's own tokenizer, under the key's scopes.

Governed like generation (the `completions` scope and the key's model scope, checked before the
model is named in any error; then the one `Admission`): a request counts against the key's rate
and quota (429 when spent), the text to tokenize passes the tenant's input PII policy (block:
the 400; mask: the masked text is tokenized, as a chat request would send it), and detokenized
text passes the output policy, as generated text does. Only engines that expose their tokenizer
(`TokenEngine`: llama.cpp) answer; others get a 400 saying so.
"""

from __future__ import annotations

from typing import Any

from agadir.engines.base import ChatMessage, TokenEngine
from agadir.engines.manager import ModelEntry
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

    def _entry(self, model: str | None) -> ModelEntry:
        name = model or self.state.settings.model
        entry = admissible_entry(
            self.state, self.ctx, model=name, capability="completion", scope=SCOPE
        )
        self.ctx.model = name
        return entry

    async def _engine(self, name: str) -> TokenEngine:
        engine = await self.state.engines.get(name)
        if not isinstance(engine, TokenEngine):
            raise InvalidRequestError(
                f"Model '{name}' does not expose its tokenizer (only models run in-process do).",
                param="model",
                code="unsupported_capability",
            )
        return engine

    async def tokenize(self, request: TokenizeRequest) -> TokenizeResponse:
        if (request.prompt is None) == (request.messages is None):
            raise InvalidRequestError("Send either 'prompt' or 'messages'.", param="prompt")
        entry = self._entry(request.model)
        texts = [m.text() for m in request.messages or []] or [request.prompt or ""]
        admission = self.state.governance.admission
        texts = await admission.admit(self.ctx, scope=SCOPE, entry=entry, texts=texts, max_tokens=0)
        engine = await self._engine(entry.name)
        if request.messages is not None:
            messages = zip(request.messages, texts, strict=True)
            tokens = await engine.encode_chat([ChatMessage(m.role, t) for m, t in messages])
        else:
            tokens = await engine.encode(texts[0], add_special=request.add_special_tokens)
        strs = [await engine.decode([t]) for t in tokens] if request.return_token_strs else None
        await admission.settle(self.ctx, len(tokens), 0, None)
        await self.state.governance.audit(self.ctx, 200)
        return TokenizeResponse(
            count=len(tokens),
            max_model_len=engine.info().context_length,
            tokens=tokens,
            token_strs=strs,
        )

    async def detokenize(self, request: DetokenizeRequest) -> DetokenizeResponse:
        entry = self._entry(request.model)
        admission = self.state.governance.admission
        await admission.admit(self.ctx, scope=SCOPE, entry=entry, texts=[], max_tokens=0)
        engine = await self._engine(entry.name)
        prompt = await engine.decode(request.tokens)
        pii = admission.output_filter(self.ctx)
        if pii is not None:
            prompt = pii.push(prompt) + pii.flush()
        await admission.settle(self.ctx, len(request.tokens), 0, prompt, pii)
        await self.state.governance.audit(self.ctx, 200)
        return DetokenizeResponse(prompt=prompt)

    async def info(self, model: str | None) -> dict[str, Any]:
        """The tokenizer's metadata: no tenant data in or out, so no quota or PII step."""
        name = self._entry(model).name
        engine = await self._engine(name)
        await self.state.governance.audit(self.ctx, 200)
        return {"model": name, **engine.tokenizer_info()}
