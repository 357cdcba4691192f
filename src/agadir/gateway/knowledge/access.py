"""The gateway's one `KnowledgeService`, built on first use so that a server which never
touches a knowledge base never loads the sentence encoder."""

from __future__ import annotations

from agadir.gateway.state import GatewayState
from agadir.knowledge.service import KnowledgeService, engine_embedder


async def knowledge(state: GatewayState) -> KnowledgeService:
    if state.knowledge is None:
        async with state.knowledge_lock:
            if state.knowledge is None:
                encoder = await state.engines.get(state.settings.embedding_model)
                state.knowledge = KnowledgeService.from_settings(
                    state.governance.store, engine_embedder(encoder), state.settings.knowledge
                )
    return state.knowledge
