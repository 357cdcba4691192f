"""`/admin/*` routes (thin: authenticate as admin, parse, call `AdminService`, serialise).

Handlers are plain `def`s on purpose: FastAPI runs them in its thread pool, and the service
blocks on the database. The `admin` dependency answers 401/403 before any handler runs; which
tenant the key may act on is decided in the service (`access.AdminAccess`), not here.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from agadir.gateway.admin.protocol import (
    AuditTail,
    CreatedKeyOut,
    KeyCreate,
    KeyList,
    KeyOut,
    TenantCreate,
    TenantList,
    TenantOut,
    TenantUpdate,
    UsageOut,
    VerifyOut,
)
from agadir.gateway.admin.service import TAIL_DEFAULT, TAIL_MAX, AdminService
from agadir.gateway.governance.context import RequestContext
from agadir.gateway.governance.deps import admin
from agadir.gateway.responses import JSONResponse
from agadir.gateway.state import GatewayState, get_state

router = APIRouter(prefix="/admin", tags=["admin"])
AuditKind = Literal["request", "admin", "event", "checkpoint"]


def service(
    ctx: RequestContext = Depends(admin), state: GatewayState = Depends(get_state)
) -> AdminService:
    return AdminService(state.governance, ctx)


def _json(model: BaseModel, status_code: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status_code)


@router.post("/tenants", response_model=TenantOut, status_code=201)
def create_tenant(body: TenantCreate, svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.create_tenant(body), 201)


@router.get("/tenants", response_model=TenantList)
def list_tenants(svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.list_tenants())


@router.get("/tenants/{name}", response_model=TenantOut)
def get_tenant(name: str, svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.get_tenant(name))


@router.patch("/tenants/{name}", response_model=TenantOut)
def update_tenant(
    name: str, body: TenantUpdate, svc: AdminService = Depends(service)
) -> JSONResponse:
    return _json(svc.update_tenant(name, body))


@router.post("/tenants/{name}/disable", response_model=TenantOut)
def disable_tenant(name: str, svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.disable_tenant(name))


@router.post("/tenants/{name}/enable", response_model=TenantOut)
def enable_tenant(name: str, svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.enable_tenant(name))


@router.post("/keys", response_model=CreatedKeyOut, status_code=201)
def create_key(body: KeyCreate, svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.create_key(body), 201)


@router.get("/keys", response_model=KeyList)
def list_keys(tenant: str | None = None, svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.list_keys(tenant))


@router.post("/keys/{key_id}/revoke", response_model=KeyOut)
def revoke_key(key_id: str, svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.revoke_key(key_id))


@router.post("/keys/{key_id}/rotate", response_model=CreatedKeyOut, status_code=201)
def rotate_key(key_id: str, svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.rotate_key(key_id), 201)


@router.get("/audit/verify", response_model=VerifyOut)
def verify_audit(svc: AdminService = Depends(service)) -> JSONResponse:
    return _json(svc.verify_audit())


@router.get("/audit", response_model=AuditTail)
def audit_tail(
    limit: int = Query(TAIL_DEFAULT, ge=1, le=TAIL_MAX),
    since: str | None = Query(None, description="`24h` ago or an ISO date"),
    until: str | None = Query(None, description="exclusive; `1h` ago or an ISO date"),
    tenant: str | None = None,
    kind: AuditKind | None = None,
    before: int | None = Query(None, ge=1, description="only records with seq below this"),
    svc: AdminService = Depends(service),
) -> JSONResponse:
    tail = svc.audit_tail(
        limit=limit, since=since, until=until, tenant=tenant, kind=kind, before=before
    )
    return _json(tail)


@router.get("/usage", response_model=UsageOut)
def usage(
    since: str = Query("24h", description="`24h` ago or an ISO date"),
    until: str | None = Query(None, description="exclusive; a duration ago or an ISO date"),
    svc: AdminService = Depends(service),
) -> JSONResponse:
    return _json(svc.usage(since, until))
