"""Every `/admin` route with an operator key, a tenant admin key, and keys of two tenants.

`ROUTES` names each admin route with how far a tenant admin reaches on it; a route added to the
API without a row here fails `test_route_table_covers_every_admin_route`. Tenant `tenant-a`'s
admin key is the attacker: on its own tenant it may do what the row says, on `tenant-b` and on
the operator's `admin` tenant it gets a 403 and changes nothing, and no response it receives
names another tenant, another tenant's key or the operator's key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest

from tests.admin.conftest import CHAT, Admin, auth, chat, error_of

A, B, OPERATOR = "tenant-a", "tenant-b", "admin"


@dataclass
class World:
    """The operator, two tenants each with an admin key and a plain key, and some traffic."""

    admin: Admin
    admin_keys: dict[str, str]  # tenant -> plaintext admin key
    key_ids: dict[str, str]  # tenant -> id of a plain (non-admin) key, the operator's own
    foreign: dict[str, list[str]]  # tenant -> strings that must never reach another tenant

    def snapshot(self) -> tuple[Any, ...]:
        gov = self.admin.state.governance
        return tuple(gov.tenants.list()), tuple(gov.keys.list())


Request = tuple[str, dict[str, Any] | None, dict[str, str]]
Reach = Literal["tenant", "operator", "listing"]


@dataclass(frozen=True)
class Route:
    """One admin route (`path`: its OpenAPI template) and a call of it aimed at a tenant: `url`
    and string values of `body` with `{t}` for the tenant and `{key}` for one of its keys,
    `query` a query parameter set to the tenant. `reach` is what a tenant admin may do: act on
    its own tenant (`tenant`), nothing (`operator`), or list with the rows narrowed to its own
    tenant (`listing`: the call names no tenant)."""

    method: str
    path: str
    reach: Reach
    url: str
    body: dict[str, Any] | None = None
    query: str | None = None

    def request(self, world: World, target: str) -> Request:
        def fill(value: Any) -> Any:
            key = world.key_ids[target]
            return value.format(t=target, key=key) if isinstance(value, str) else value

        body = None if self.body is None else {k: fill(v) for k, v in self.body.items()}
        return fill(self.url), body, ({self.query: target} if self.query else {})


ROUTES = [
    Route("POST", "/admin/tenants", "operator", "/admin/tenants", {"name": "{t}-new"}),
    Route("GET", "/admin/tenants", "listing", "/admin/tenants"),
    Route("GET", "/admin/tenants/{name}", "tenant", "/admin/tenants/{t}"),
    Route("PATCH", "/admin/tenants/{name}", "tenant", "/admin/tenants/{t}", {"pii_mode": "block"}),
    Route("POST", "/admin/tenants/{name}/disable", "operator", "/admin/tenants/{t}/disable"),
    Route("POST", "/admin/tenants/{name}/enable", "operator", "/admin/tenants/{t}/enable"),
    Route("POST", "/admin/keys", "tenant", "/admin/keys", {"tenant": "{t}", "scopes": "chat"}),
    Route("GET", "/admin/keys", "tenant", "/admin/keys", query="tenant"),
    Route("POST", "/admin/keys/{key_id}/revoke", "tenant", "/admin/keys/{key}/revoke"),
    Route("POST", "/admin/keys/{key_id}/rotate", "tenant", "/admin/keys/{key}/rotate"),
    Route("GET", "/admin/audit/verify", "operator", "/admin/audit/verify"),
    Route("GET", "/admin/audit", "tenant", "/admin/audit", query="tenant"),
    Route("GET", "/admin/usage", "listing", "/admin/usage"),
]
IDS = [f"{r.method} {r.path}" for r in ROUTES]


async def send(world: World, route: Route, caller: str, target: str) -> httpx.Response:
    """`caller`'s admin key sends `route` aimed at `target`."""
    path, body, params = route.request(world, target)
    headers = auth(world.admin_keys[caller])
    return await world.admin.client.request(
        route.method, path, json=body, params=params, headers=headers
    )


def assert_nothing_foreign(world: World, caller: str, response: httpx.Response) -> None:
    leaked = [s for t, strings in world.foreign.items() if t != caller for s in strings]
    found = [s for s in leaked if s in response.text]
    assert not found, (response.request.url, found, response.text[:400])


def assert_operator_required(response: httpx.Response) -> None:
    assert response.status_code == 403, (response.request.url, response.text)
    error = error_of(response)
    assert error["type"] == "permission_error" and error["code"] == "operator_required"
    assert "'admin'" in str(error["message"])  # says which key would do


@pytest.fixture
async def world(admin: Admin) -> AsyncIterator[World]:
    gov = admin.state.governance
    admin_keys = {OPERATOR: admin.key}
    operator_key_id = gov.keys.list(OPERATOR)[0].id
    key_ids = {OPERATOR: operator_key_id}
    foreign = {OPERATOR: [operator_key_id]}
    for name in (A, B):
        gov.tenants.create(name)
        boss = gov.keys.create(name, "admin,chat,models:echo", label=f"{name} admin")
        plain = gov.keys.create(name, "chat,models:echo", label=f"{name} app")
        admin_keys[name], key_ids[name] = boss.plaintext, plain.info.id
        foreign[name] = [name, boss.info.id, plain.info.id]
        r = await admin.client.post(CHAT, json=chat(name), headers=auth(boss.plaintext))
        assert r.status_code == 200, r.text  # traffic, so usage and audit have rows per tenant
    yield World(admin, admin_keys, key_ids, foreign)


def test_route_table_covers_every_admin_route(admin: Admin) -> None:
    paths = admin.app.openapi()["paths"]
    served = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/admin")
        for method in operations
    }
    assert served == {(r.method, r.path) for r in ROUTES}, "add the new admin route to ROUTES"


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
async def test_route_with_operator_tenant_admin_and_two_tenants(world: World, route: Route) -> None:
    """One world per route, in an order where each step leaves the next meaningful: tenant-a
    on itself (its audit tail must not yet hold its own attempts on others), then tenant-a
    on tenant-b and on the operator's tenant, then the operator on tenant-b."""
    before = world.snapshot()
    own = await send(world, route, A, A)
    if route.reach == "operator":
        assert_operator_required(own)
        assert world.snapshot() == before
    else:
        assert own.status_code in (200, 201), (route, own.text)
    assert_nothing_foreign(world, A, own)

    for target in (B, OPERATOR):
        before = world.snapshot()
        r = await send(world, route, A, target)
        if route.reach == "listing":
            assert r.status_code == 200, (target, r.text)
        else:
            assert_operator_required(r)
        assert world.snapshot() == before, f"{A} changed something aiming at {target}"
        assert_nothing_foreign(world, A, r)
    # tenant-b's admin still manages its own tenant: nothing of it was disabled or revoked
    mine = await send(world, ROUTES[2], B, B)
    assert mine.status_code == 200 and mine.json()["pii_mode"] == "mask"

    operator = await send(world, route, OPERATOR, B)
    assert operator.status_code in (200, 201), (route, operator.text)


async def test_unfiltered_listings_show_only_the_callers_tenant(world: World) -> None:
    client, key = world.admin.client, auth(world.admin_keys[A])
    tenants = (await client.get("/admin/tenants", headers=key)).json()["data"]
    assert [t["name"] for t in tenants] == [A]
    keys = (await client.get("/admin/keys", headers=key)).json()["data"]
    assert {k["tenant"] for k in keys} == {A} and len(keys) == 2
    tail = (await client.get("/admin/audit", headers=key)).json()["data"]
    assert tail and {rec["tenant"] for rec in tail} == {A}
    usage = (await client.get("/admin/usage", headers=key)).json()["data"]
    assert [(u["tenant"], u["requests"]) for u in usage] == [(A, 1)]
    everything = await client.get("/admin/usage", headers=auth(world.admin_keys[OPERATOR]))
    assert {u["tenant"] for u in everything.json()["data"]} >= {A, B}


async def test_tenant_admin_sets_its_policy_but_not_its_quota(world: World) -> None:
    client, key = world.admin.client, auth(world.admin_keys[A])
    policy = await client.patch(
        f"/admin/tenants/{A}", json={"pii_mode": "block", "audit_content": "none"}, headers=key
    )
    assert policy.status_code == 200 and policy.json()["pii_mode"] == "block"
    quota = await client.patch(f"/admin/tenants/{A}", json={"limits": {"rpm": 10**6}}, headers=key)
    assert_operator_required(quota)
    assert world.admin.state.governance.tenants.get(A).limits.rpm is None


async def test_a_tenant_admin_cannot_tell_missing_from_foreign(world: World) -> None:
    """The same 403 for what does not exist as for another tenant's: no probing for names."""
    for method, path in [
        ("GET", "/admin/tenants/nobody"),
        ("POST", "/admin/keys/0123456789ab/revoke"),
        ("POST", "/admin/keys/0123456789ab/rotate"),
        ("GET", "/admin/keys?tenant=nobody"),
        ("GET", "/admin/audit?tenant=nobody"),
    ]:
        r = await world.admin.client.request(method, path, headers=auth(world.admin_keys[A]))
        assert_operator_required(r)


async def test_a_tenant_admin_key_it_mints_stays_in_its_tenant(world: World) -> None:
    client, key = world.admin.client, auth(world.admin_keys[A])
    minted = await client.post("/admin/keys", json={"tenant": A, "scopes": "admin"}, headers=key)
    assert minted.status_code == 201 and minted.json()["tenant"] == A
    child = auth(minted.json()["key"])
    escalate = await client.post(
        "/admin/keys", json={"tenant": OPERATOR, "scopes": "admin"}, headers=child
    )
    assert_operator_required(escalate)
    rotated = await client.post(f"/admin/keys/{world.key_ids[OPERATOR]}/rotate", headers=child)
    assert_operator_required(rotated)
