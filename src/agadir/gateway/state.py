"""What the gateway holds for its lifetime: settings, engines, metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from agadir.config import Settings
from agadir.egress import EgressPolicy
from agadir.engines.manager import EngineManager
from agadir.gateway.governance.service import Governance
from agadir.gateway.metrics import Metrics

if TYPE_CHECKING:
    from agadir.knowledge.service import KnowledgeService


@dataclass
class GatewayState:
    settings: Settings
    engines: EngineManager
    metrics: Metrics
    egress: EgressPolicy
    governance: Governance
    knowledge: KnowledgeService | None = None  # built on first use (loads the encoder)
    knowledge_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def get_state(request: Request) -> GatewayState:
    """The gateway's state. Async on purpose: FastAPI runs sync dependencies in a thread pool,
    and that hop cost more than everything else in this dependency."""
    state: GatewayState = request.app.state.agadir
    return state
