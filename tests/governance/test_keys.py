from __future__ import annotations

import pytest

from agadir.governance import (
    AuthenticationError,
    KeyService,
    Limits,
    PermissionDeniedError,
    TenantExistsError,
    TenantService,
)
from agadir.store.schema import api_keys


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def keys(store, clock):
    TenantService(store, clock=clock).create("acme", limits=Limits(rpm=10))
    return KeyService(store, clock=clock, cache_ttl_s=0.0)


def test_plaintext_is_never_stored(store, keys):
    created = keys.create("acme", "chat,models:smollm2")
    secret = created.plaintext.split("_", 2)[2]
    with store.read() as conn:
        rows = conn.execute(api_keys.select()).all()
    assert len(rows) == 1
    for value in rows[0]:
        assert secret not in str(value) and secret.encode() not in (
            value if isinstance(value, bytes) else b""
        )


def test_authenticate_returns_principal_with_scopes(keys):
    created = keys.create("acme", "chat,models:smollm2,kb:laws*")
    principal = keys.authenticate(created.plaintext)
    assert principal.tenant.name == "acme" and principal.tenant.limits.rpm == 10
    principal.require("chat")
    principal.require_model("smollm2")
    principal.require_kb("laws-2024")
    with pytest.raises(PermissionDeniedError) as info:
        principal.require_model("other")
    assert info.value.status_code == 403 and info.value.error_type == "permission_error"
    with pytest.raises(PermissionDeniedError):
        principal.require("embeddings")
    with pytest.raises(PermissionDeniedError):
        principal.require("admin")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "missing_api_key"),
        ("", "missing_api_key"),
        ("sk-not-ours", "invalid_api_key"),
        ("agk_zzzz_short", "invalid_api_key"),
        ("agk_0123456789ab_" + "A" * 43, "invalid_api_key"),
    ],
)
def test_bad_keys_are_401(keys, raw, code):
    with pytest.raises(AuthenticationError) as info:
        keys.authenticate(raw)
    assert info.value.status_code == 401 and info.value.code == code
    assert info.value.error_type == "authentication_error"


def test_wrong_secret_for_a_real_id_is_401(keys):
    created = keys.create("acme", "chat")
    forged = created.plaintext[:-4] + ("AAAA" if not created.plaintext.endswith("AAAA") else "BBBB")
    with pytest.raises(AuthenticationError):
        keys.authenticate(forged)


def test_revoked_and_expired_keys_are_401(keys, clock):
    revoked = keys.create("acme", "chat")
    keys.revoke(revoked.info.id)
    with pytest.raises(AuthenticationError) as info:
        keys.authenticate(revoked.plaintext)
    assert info.value.code == "revoked_api_key"

    expiring = keys.create("acme", "chat", expires_at=clock.now + 60)
    keys.authenticate(expiring.plaintext)
    clock.now += 61
    with pytest.raises(AuthenticationError) as info:
        keys.authenticate(expiring.plaintext)
    assert info.value.code == "expired_api_key"


def test_disabled_tenant_locks_its_keys(store, keys):
    created = keys.create("acme", "chat")
    TenantService(store).disable("acme")
    with pytest.raises(AuthenticationError) as info:
        keys.authenticate(created.plaintext)
    assert info.value.code == "tenant_disabled"


def test_rotate_issues_a_new_key_and_revokes_the_old(keys):
    old = keys.create("acme", "chat,embeddings", limits=Limits(tpm=500))
    new = keys.rotate(old.info.id)
    assert new.plaintext != old.plaintext and new.info.rotated_from == old.info.id
    assert new.info.scopes == old.info.scopes and new.info.limits.tpm == 500
    keys.authenticate(new.plaintext)
    with pytest.raises(AuthenticationError):
        keys.authenticate(old.plaintext)


def test_revocation_by_another_process_applies_within_the_cache_ttl(store, clock):
    TenantService(store).create("beta")
    cached = KeyService(store, cache_ttl_s=0.2)
    created = cached.create("beta", "chat")
    cached.authenticate(created.plaintext)
    KeyService(store).revoke(created.info.id)  # another service instance: cache not told
    import time

    time.sleep(0.25)
    with pytest.raises(AuthenticationError):
        cached.authenticate(created.plaintext)


def test_tenant_names_are_unique(store):
    TenantService(store).create("dup")
    with pytest.raises(TenantExistsError):
        TenantService(store).create("dup")


def test_rotate_refuses_revoked_keys(store):
    from agadir.governance import KeyService, TenantService
    from agadir.governance.errors import KeyStateError

    TenantService(store).create("rot")
    keys = KeyService(store)
    created = keys.create("rot", "chat")
    keys.revoke(created.info.id)
    with pytest.raises(KeyStateError, match="revoked"):
        keys.rotate(created.info.id)


def test_changes_made_in_this_process_skip_the_cache(store):
    """With an hour-long cache TTL, a revocation and a tenant change made through this
    process's services still apply to the very next request."""
    keys = KeyService(store, cache_ttl_s=3600.0)
    tenants = TenantService(store, on_change=keys.forget_tenant)
    tenants.create("gamma", pii_mode="mask")
    first, second = keys.create("gamma", "chat"), keys.create("gamma", "chat")
    assert keys.authenticate(first.plaintext).tenant.pii_mode == "mask"
    keys.authenticate(second.plaintext)
    keys.revoke(first.info.id)
    with pytest.raises(AuthenticationError) as info:
        keys.authenticate(first.plaintext)
    assert info.value.code == "revoked_api_key"
    tenants.update("gamma", pii_mode="block", limits=Limits(rpm=7))
    principal = keys.authenticate(second.plaintext)
    assert principal.tenant.pii_mode == "block" and principal.tenant.limits.rpm == 7
    tenants.disable("gamma")
    with pytest.raises(AuthenticationError) as info:
        keys.authenticate(second.plaintext)
    assert info.value.code == "tenant_disabled"
    tenants.enable("gamma")
    assert keys.authenticate(second.plaintext).key_id == second.info.id


def test_scope_answers_are_memoised_but_bounded(keys):
    principal = keys.authenticate(keys.create("acme", "chat,models:smol*").plaintext)
    for i in range(600):  # client-chosen names must not grow the memo without bound
        assert principal.allows(f"models:smol-{i}") and not principal.allows(f"models:x{i}")
    assert len(principal.scopes._memo) <= 256
    assert principal.allows("chat") and not principal.allows("admin")
    assert principal.allows("chat")  # a memoised answer is the same answer


def test_rotate_with_grace_keeps_the_old_key_until_the_period_ends(keys, clock):
    old = keys.create("acme", "chat")
    new = keys.rotate(old.info.id, grace_s=600)
    clock.now += 599
    assert keys.authenticate(old.plaintext).key_id == old.info.id  # clients still switching
    assert keys.authenticate(new.plaintext).key_id == new.info.id
    clock.now += 2
    with pytest.raises(AuthenticationError) as info:
        keys.authenticate(old.plaintext)
    assert info.value.code == "expired_api_key"
    keys.authenticate(new.plaintext)


def test_rotate_grace_never_extends_an_earlier_expiry(keys, clock):
    old = keys.create("acme", "chat", expires_at=clock.now + 60)
    new = keys.rotate(old.info.id, grace_s=3600)
    assert keys.get(old.info.id).expires_at == clock.now + 60
    assert new.info.expires_at == clock.now + 60  # the replacement keeps the key's lifetime


def test_rotate_refuses_a_non_positive_grace(keys):
    from agadir.governance.errors import KeyStateError

    old = keys.create("acme", "chat")
    with pytest.raises(KeyStateError, match="grace"):
        keys.rotate(old.info.id, grace_s=0)
    keys.authenticate(old.plaintext)  # refused before anything changed
