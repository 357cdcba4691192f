"""The FastAPI application factory: wires settings, model store, engines, routers, handlers.

`create_app()` builds nothing global; tests build as many apps as they like. With
``agadir serve --workers N`` uvicorn calls `app_from_env()` in each worker process.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from agadir import __version__
from agadir.audit import AuditUnavailableError, load_or_create_key
from agadir.audit.process_writer import ProcessAuditWriter
from agadir.config import Settings, load_settings
from agadir.egress import EgressPolicy, apply_offline_switches
from agadir.engines.llamacpp_metrics import PrefixCacheCollector
from agadir.engines.manager import EngineManager
from agadir.engines.upstream_metrics import UpstreamReplicaCollector
from agadir.gateway.admin.router import router as admin_router
from agadir.gateway.chat.router import router as chat_router
from agadir.gateway.completions.router import router as completions_router
from agadir.gateway.embeddings.router import router as embeddings_router
from agadir.gateway.errors import install_error_handlers
from agadir.gateway.governance.admission import Admission
from agadir.gateway.governance.audit_sink import AuditSink
from agadir.gateway.governance.authenticator import Authenticator, dev_principal
from agadir.gateway.governance.middleware import AuditMiddleware
from agadir.gateway.governance.service import Governance
from agadir.gateway.health.router import router as health_router
from agadir.gateway.json_body import JSONBodyMiddleware
from agadir.gateway.knowledge.packs import load_configured_packs
from agadir.gateway.knowledge.router import UPLOAD_PATH
from agadir.gateway.knowledge.router import router as knowledge_router
from agadir.gateway.lang.router import router as lang_router
from agadir.gateway.metrics import Metrics
from agadir.gateway.middleware import BodyLimitMiddleware, LargerBody, MetricsMiddleware
from agadir.gateway.models.router import router as models_router
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState
from agadir.gateway.tokenizer.router import router as tokenizer_router
from agadir.governance import KeyService, QuotaService, TenantService
from agadir.models.store import ModelStore
from agadir.store import open_store
from agadir.web.router import router as web_router

log = logging.getLogger("agadir.gateway")


def build_governance(settings: Settings, *, dev_open: bool = False) -> Governance:
    """Open the governance store, start the audit writer process, and wire the parts.

    `dev_open` serves key-less requests as tenant `dev` (recorded in the audit log)."""
    store = open_store(settings.resolved_database_url)
    keys = KeyService(store)
    # tenant changes made here (admin API) reach the key cache at once, not after its TTL
    tenants = TenantService(store, on_change=keys.forget_tenant)
    quotas = QuotaService(store)
    # PostgreSQL calls block on the network: key lookups and quota statements leave the loop
    offload = store.kind == "postgresql"
    writer = ProcessAuditWriter(store.url, load_or_create_key(settings.ensure_home())).start()
    return Governance(
        settings=settings,
        store=store,
        keys=keys,
        tenants=tenants,
        quotas=quotas,
        authenticator=Authenticator(
            keys, dev=dev_principal(tenants) if dev_open else None, offload=offload
        ),
        admission=Admission(quotas, offload=offload),
        audit_sink=AuditSink(writer),
    )


def create_app(
    settings: Settings | None = None,
    *,
    enable_echo: bool = False,
    preload: bool = False,
    dev_open: bool = False,
) -> FastAPI:
    """Build the gateway. `preload` loads the default model at start-up instead of first use;
    `dev_open` serves without API keys (development only; recorded in the audit log)."""
    settings = settings or load_settings()
    apply_offline_switches()
    settings.ensure_home()
    store = ModelStore(settings.models_dir)
    store.ensure_packaged()
    metrics = Metrics()
    state = GatewayState(
        settings=settings,
        engines=EngineManager(settings, store, enable_echo=enable_echo),
        metrics=metrics,
        egress=EgressPolicy(settings.egress_allow),
        governance=build_governance(settings, dev_open=dev_open),
    )
    metrics.registry.register(UpstreamReplicaCollector(state.engines))
    metrics.registry.register(PrefixCacheCollector(state.engines))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await state.governance.audit_sink.record_event(
                "server.start", dev_open=dev_open, pid=os.getpid()
            )
        except AuditUnavailableError as exc:  # serve nothing unaudited: every request gets 503
            log.error("audit log unavailable at start: %s", exc.message)
        await load_configured_packs(state)
        if preload:
            engine = await state.engines.get(settings.model)
            depth = getattr(engine, "queue_depth", None)
            if callable(depth):
                metrics.watch_queue(settings.model, depth)
        await state.engines.reconcile_upstream_adapters()  # a no-op without lora_adapters
        # Everything built at start-up lives as long as the process: move it out of the
        # collector's reach so full collections stay short on the request path (p99).
        gc.freeze()
        yield
        if state.knowledge is not None:  # stop ingestion jobs, delete their staged files
            await state.knowledge.aclose()
        await state.engines.aclose()
        state.governance.close()

    # Swagger UI and ReDoc assets come from the fastapi-offline package, served by the gateway
    # itself: FastAPI's default pages load them from a CDN, blank offline and a call home.
    app = FastAPIOffline(
        title="Agadir",
        version=__version__,
        description="OpenAI-compatible API of Agadir, a sovereign AI stack for Morocco.",
        default_response_class=JSONResponse,
        lifespan=lifespan,
    )
    app.state.agadir = state
    for router in (
        chat_router,
        completions_router,
        embeddings_router,
        models_router,
        health_router,
        lang_router,
        knowledge_router,
        admin_router,
        tokenizer_router,
        web_router,
    ):
        app.include_router(router)
    install_error_handlers(app)
    upload = LargerBody(
        "POST", UPLOAD_PATH, settings.knowledge.max_upload_bytes, "knowledge.max_upload_bytes"
    )
    # innermost first: one JSON rule for every body (valid Unicode, bounded nesting), applied
    # under the size limit and inside the audit, so a refused body is still recorded
    app.add_middleware(JSONBodyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes, larger=[upload])
    app.add_middleware(
        AuditMiddleware,
        authenticator=state.governance.authenticator,
        sink=state.governance.audit_sink,
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn worker processes: settings come from the environment."""
    return create_app(
        enable_echo=os.environ.get("AGADIR_ENABLE_ECHO") == "1",
        dev_open=os.environ.get("AGADIR_DEV_OPEN") == "1",
        preload=True,
    )
