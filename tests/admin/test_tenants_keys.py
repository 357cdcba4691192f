"""Tenants and keys over HTTP: the full life of a key, and every refusal in OpenAI's shape."""

from __future__ import annotations

import asyncio

import pytest

from tests.admin.conftest import CHAT, Admin, auth, chat, error_of


async def make_tenant(admin: Admin, name: str, **fields: object) -> dict[str, object]:
    r = await admin.post("/admin/tenants", {"name": name, **fields})
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def make_key(
    admin: Admin, tenant: str, scopes: object, **fields: object
) -> dict[str, object]:
    r = await admin.post("/admin/keys", {"tenant": tenant, "scopes": scopes, **fields})
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def test_admin_creates_tenant_and_key_that_works_only_within_its_scopes(
    admin: Admin,
) -> None:
    tenant = await make_tenant(
        admin, "ministry", audit_content="full", pii_mode="off", limits={"rpm": 100}
    )
    assert tenant["status"] == "enabled" and tenant["limits"] == {
        "rpm": 100,
        "tpm": None,
        "tpd": None,
    }
    created = await make_key(admin, "ministry", "chat, models:echo", label="portal", expires="30d")
    key = str(created["key"])
    assert key.startswith(f"agk_{created['id']}_")
    assert created["scopes"] == ["chat", "models:echo"] and created["status"] == "active"
    assert created["expires_at"] is not None

    ok = await admin.client.post(CHAT, json=chat("salam"), headers=auth(key))
    assert ok.status_code == 200, ok.text
    assert "salam" in ok.json()["choices"][0]["message"]["content"]

    other_model = await admin.client.post(
        CHAT, json=chat(model="smollm2-135m-instruct"), headers=auth(key)
    )
    assert other_model.status_code == 403
    embed = await admin.client.post(
        "/v1/embeddings", json={"model": "echo", "input": "x"}, headers=auth(key)
    )
    assert embed.status_code == 403 and error_of(embed)["code"] == "insufficient_scope"
    on_admin = await admin.client.get("/admin/tenants", headers=auth(key))
    assert on_admin.status_code == 403 and "'admin'" in str(error_of(on_admin)["message"])

    listed = (await admin.get("/admin/keys", tenant="ministry")).json()["data"]
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0]


async def test_revoke_refuses_the_key_within_a_second(admin: Admin) -> None:
    await make_tenant(admin, "coop")
    created = await make_key(admin, "coop", ["chat", "models:echo"])
    key = str(created["key"])
    assert (await admin.client.post(CHAT, json=chat(), headers=auth(key))).status_code == 200
    r = await admin.post(f"/admin/keys/{created['id']}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    await asyncio.sleep(1.05)  # the worst case: another replica's one-second key cache
    refused = await admin.client.post(CHAT, json=chat(), headers=auth(key))
    assert refused.status_code == 401 and error_of(refused)["code"] == "revoked_api_key"
    listed = (await admin.get("/admin/keys", tenant="coop")).json()["data"]
    assert listed[0]["status"] == "revoked" and listed[0]["revoked_at"] is not None
    again = await admin.post(f"/admin/keys/{created['id']}/rotate")
    assert again.status_code == 409 and error_of(again)["code"] == "key_revoked"


async def test_rotate_gives_a_new_key_and_kills_the_old_one(admin: Admin) -> None:
    await make_tenant(admin, "coop")
    old = await make_key(admin, "coop", "chat,models:echo", label="app", limits={"rpm": 50})
    r = await admin.post(f"/admin/keys/{old['id']}/rotate")
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["key"] != old["key"] and new["rotated_from"] == old["id"]
    assert new["scopes"] == old["scopes"] and new["label"] == "app"
    assert new["limits"]["rpm"] == 50
    refused = await admin.client.post(CHAT, json=chat(), headers=auth(str(old["key"])))
    assert refused.status_code == 401
    works = await admin.client.post(CHAT, json=chat(), headers=auth(str(new["key"])))
    assert works.status_code == 200


async def test_tenant_read_update_disable_enable(admin: Admin) -> None:
    await make_tenant(admin, "tourism", limits={"rpm": 10, "tpd": 1000})
    r = await admin.patch("/admin/tenants/tourism", {"pii_mode": "block", "limits": {"tpm": 500}})
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["pii_mode"] == "block" and updated["audit_content"] == "hash"
    assert updated["limits"] == {"rpm": 10, "tpm": 500, "tpd": 1000}  # merged, not replaced
    cleared = await admin.patch("/admin/tenants/tourism", {"limits": {"rpm": None}})
    assert cleared.json()["limits"] == {"rpm": None, "tpm": 500, "tpd": 1000}

    key = str((await make_key(admin, "tourism", "chat,models:echo"))["key"])
    assert (await admin.client.post(CHAT, json=chat(), headers=auth(key))).status_code == 200
    disabled = await admin.post("/admin/tenants/tourism/disable")
    assert disabled.json()["status"] == "disabled"
    await asyncio.sleep(1.05)
    refused = await admin.client.post(CHAT, json=chat(), headers=auth(key))
    assert refused.status_code == 401 and error_of(refused)["code"] == "tenant_disabled"
    no_key = await admin.post("/admin/keys", {"tenant": "tourism", "scopes": "chat"})
    assert no_key.status_code == 409 and "enable" in str(error_of(no_key)["message"])
    enabled = await admin.post("/admin/tenants/tourism/enable")
    assert enabled.json()["status"] == "enabled" and enabled.json()["disabled_at"] is None

    got = (await admin.get("/admin/tenants/tourism")).json()
    assert got["name"] == "tourism" and got["pii_mode"] == "block"
    names = [t["name"] for t in (await admin.get("/admin/tenants")).json()["data"]]
    assert names == ["admin", "tourism"]


async def test_admin_cannot_disable_its_own_tenant(admin: Admin) -> None:
    r = await admin.post("/admin/tenants/admin/disable")
    assert r.status_code == 409 and error_of(r)["code"] == "own_tenant"
    assert (await admin.get("/admin/tenants")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("get", "/admin/tenants/nobody", None, 404, "tenant_not_found"),
        ("patch", "/admin/tenants/nobody", {"pii_mode": "off"}, 404, "tenant_not_found"),
        ("post", "/admin/tenants/nobody/disable", None, 404, "tenant_not_found"),
        ("post", "/admin/keys/0123456789ab/revoke", None, 404, "key_not_found"),
        ("post", "/admin/keys/0123456789ab/rotate", None, 404, "key_not_found"),
        ("post", "/admin/keys", {"tenant": "nobody", "scopes": "chat"}, 404, "tenant_not_found"),
        ("post", "/admin/tenants", {"name": "dup"}, 409, "tenant_exists"),
        ("post", "/admin/tenants", {"name": "Bad Name"}, 400, None),
        ("post", "/admin/tenants", {"name": "x", "pii": "off"}, 422, "invalid_value"),
        ("post", "/admin/tenants", {"name": "x", "pii_mode": "maybe"}, 422, "invalid_value"),
        ("post", "/admin/keys", {"tenant": "dup", "scopes": "chat,root"}, 400, "invalid_scope"),
        ("post", "/admin/keys", {"tenant": "dup", "scopes": []}, 400, "invalid_scope"),
        (
            "post",
            "/admin/keys",
            {"tenant": "dup", "scopes": "chat", "expires": "soon"},
            400,
            "invalid_time",
        ),
        (
            "post",
            "/admin/keys",
            {"tenant": "dup", "scopes": "chat", "expires": "2001-01-01"},
            400,
            "invalid_time",
        ),
        (
            "post",
            "/admin/keys",
            {"tenant": "dup", "scopes": "chat", "limits": {"rpm": 0}},
            422,
            "invalid_value",
        ),
        ("get", "/admin/keys?tenant=nobody", None, 404, "tenant_not_found"),
    ],
)
async def test_bad_admin_requests_say_what_to_fix(
    admin: Admin, method: str, path: str, body: object, status: int, code: str | None
) -> None:
    await make_tenant(admin, "dup")
    r = await admin.client.request(method.upper(), path, headers=admin.headers, json=body)
    assert r.status_code == status, r.text
    error = error_of(r)
    assert error["code"] == code
    assert len(str(error["message"])) > 20
