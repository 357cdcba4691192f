"""Every `/admin` route refuses callers without the `admin` scope, whatever they send."""

from __future__ import annotations

import re

from tests.admin.conftest import Admin, auth, error_of


def admin_routes(admin: Admin) -> list[tuple[str, str]]:
    paths = admin.app.openapi()["paths"]
    routes = [
        (method.upper(), re.sub(r"\{[^}]+\}", "admin", path))
        for path, operations in paths.items()
        if path.startswith("/admin")
        for method in operations
    ]
    assert len(routes) >= 13, routes  # the test would pass vacuously if routes went missing
    return routes


async def test_every_admin_route_needs_the_admin_scope(admin: Admin) -> None:
    gov = admin.state.governance
    gov.tenants.create("coop")
    strong = gov.keys.create("coop", "chat,completions,embeddings,lang,models:*,kb:*").plaintext
    for method, path in admin_routes(admin):
        body: dict[str, object] | None = {} if method in {"POST", "PATCH"} else None
        r = await admin.client.request(method, path, json=body, headers=auth(strong))
        assert r.status_code == 403, (method, path, r.text)
        assert error_of(r)["type"] == "permission_error"
        anonymous = await admin.client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
    assert [t.name for t in gov.tenants.list()] == ["admin", "coop"]  # nothing was changed


async def test_refused_admin_calls_are_audited(admin: Admin) -> None:
    gov = admin.state.governance
    gov.tenants.create("coop")
    weak = gov.keys.create("coop", "chat").plaintext
    r = await admin.client.post("/admin/tenants", json={"name": "evil"}, headers=auth(weak))
    assert r.status_code == 403
    tail = (await admin.get("/admin/audit", kind="admin", tenant="coop")).json()["data"]
    assert tail[0]["endpoint"] == "/admin/tenants" and tail[0]["status"] == 403
    assert tail[0]["error_type"] == "insufficient_scope"
