"""API keys: created once in clear, stored as a salted SHA-256, verified in constant time.

Format: ``agk_<id>_<secret>`` — `id` (12 hex chars) is public and indexes the row; `secret`
is 256 random bits. Why SHA-256 and not scrypt/argon2: those slow hashes protect *low-entropy
passwords* against guessing; a 256-bit random secret cannot be guessed, so a salted fast hash is
as safe and keeps the request path at microseconds. Only the hash ever reaches the database.

Authentication caches key rows (digests, never secrets) per process for `cache_ttl_s` (1 s by
default), so a revocation or a tenant change made by another process or replica takes effect
within that time; revocations made through this service, and tenant changes made through a
`TenantService` wired to `forget_tenant`, take effect immediately in this process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update

from agadir.governance.errors import AuthenticationError, KeyNotFoundError, KeyStateError
from agadir.governance.limits import Limits
from agadir.governance.principal import Principal
from agadir.governance.scopes import ScopeSet, parse_scopes
from agadir.governance.tenants import Tenant, TenantService
from agadir.store import Store
from agadir.store.schema import api_keys, tenants

PREFIX = "agk"
_KEY = re.compile(r"^agk_([0-9a-f]{12})_([A-Za-z0-9_\-]{20,128})$")


def hash_secret(salt: bytes, secret: str) -> bytes:
    """The stored digest of a key secret."""
    return hashlib.sha256(salt + secret.encode("ascii")).digest()


@dataclass(frozen=True)
class KeyInfo:
    """What `keys list` shows: everything but the secret (which is never stored)."""

    id: str
    tenant: str
    scopes: frozenset[str]
    label: str | None
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    rotated_from: str | None
    limits: Limits

    def status(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"

    @classmethod
    def from_row(cls, row: Row[Any]) -> KeyInfo:
        return cls(
            id=row.id,
            tenant=row.tenant,
            scopes=frozenset(row.scopes.split(",")),
            label=row.label,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            rotated_from=row.rotated_from,
            limits=Limits(rpm=row.rpm, tpm=row.tpm, tpd=row.tpd),
        )


@dataclass(frozen=True)
class CreatedKey:
    """A new key: `plaintext` exists only here; show it once and forget it."""

    info: KeyInfo
    plaintext: str


@dataclass(frozen=True)
class _Cached:
    salt: bytes
    digest: bytes
    info: KeyInfo
    tenant: Tenant
    fetched: float
    principal: Principal  # built once per cache fill: the request path only checks and returns


class KeyService:
    """Create, list, revoke and rotate keys; authenticate raw keys on the request path."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        cache_ttl_s: float = 1.0,
        cache_size: int = 10_000,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ttl = cache_ttl_s
        self._cache_size = cache_size
        # key id -> (monotonic time fetched, row or None for an unknown id). Read without the
        # lock (a dict lookup is atomic); filled and emptied under it.
        self._cache: dict[str, tuple[float, _Cached | None]] = {}
        self._lock = threading.Lock()
        self._tenants = TenantService(store, clock=clock)

    def create(
        self,
        tenant: str,
        scopes: str | list[str] | frozenset[str],
        *,
        expires_at: float | None = None,
        label: str | None = None,
        limits: Limits | None = None,
        rotated_from: str | None = None,
    ) -> CreatedKey:
        """Make a key for an enabled tenant; the plaintext is returned once and never stored."""
        parsed = parse_scopes(sorted(scopes) if isinstance(scopes, frozenset) else scopes)
        owner = self._tenants.get(tenant)
        if not owner.enabled:
            raise AuthenticationError(
                f"tenant {tenant!r} is disabled; enable it before creating keys",
                code="tenant_disabled",
            )
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        limits = limits or Limits()
        with self._store.write() as conn:
            conn.execute(
                api_keys.insert().values(
                    id=key_id,
                    tenant=tenant,
                    salt=salt,
                    digest=hash_secret(salt, secret),
                    scopes=",".join(sorted(parsed)),
                    label=label,
                    created_at=self._clock(),
                    expires_at=expires_at,
                    revoked_at=None,
                    rotated_from=rotated_from,
                    rpm=limits.rpm,
                    tpm=limits.tpm,
                    tpd=limits.tpd,
                )
            )
        return CreatedKey(info=self.get(key_id), plaintext=f"{PREFIX}_{key_id}_{secret}")

    def get(self, key_id: str) -> KeyInfo:
        with self._store.read() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        if row is None:
            raise KeyNotFoundError(f"no key with id {key_id!r}; see `agadir keys list`")
        return KeyInfo.from_row(row)

    def list(self, tenant: str | None = None) -> list[KeyInfo]:
        query = select(api_keys).order_by(api_keys.c.tenant, api_keys.c.created_at)
        if tenant is not None:
            query = query.where(api_keys.c.tenant == tenant)
        with self._store.read() as conn:
            return [KeyInfo.from_row(r) for r in conn.execute(query)]

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke now; idempotent (the first revocation time is kept)."""
        with self._store.write() as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
        self._forget(key_id)
        return self.get(key_id)

    def rotate(self, key_id: str, *, grace_s: float | None = None) -> CreatedKey:
        """Issue a replacement with the same tenant, scopes and limits; retire the old key.

        Without `grace_s` the old key is revoked at once. With it, the old key keeps working
        for `grace_s` seconds (its stored expiry is brought forward to then, never pushed
        later), so clients can switch to the new key without an outage; `authenticate`
        refuses it as expired afterwards, on every server.

        A revoked or expired key is not rotated: its replacement would be a key nobody asked
        for (revoked) or one born expired; create a fresh key instead.
        """
        old = self.get(key_id)
        status = old.status(self._clock())
        if status != "active":
            raise KeyStateError(
                f"key {key_id} is {status}; rotate only active keys, or create a new one with "
                f"`agadir keys create --tenant {old.tenant} --scopes ...`"
            )
        if grace_s is not None and grace_s <= 0:
            raise KeyStateError("the grace period must be positive, e.g. 10m or 1h")
        new = self.create(
            old.tenant,
            old.scopes,
            expires_at=old.expires_at,
            label=old.label,
            limits=old.limits,
            rotated_from=old.id,
        )
        if grace_s is None:
            self.revoke(old.id)
        else:
            self.expire_at(old.id, self._clock() + grace_s)
        return new

    def expire_at(self, key_id: str, when: float) -> KeyInfo:
        """Make a key expire at `when`, or keep its earlier expiry (never extends a key)."""
        current = self.get(key_id)
        if current.expires_at is None or when < current.expires_at:
            with self._store.write() as conn:
                conn.execute(
                    update(api_keys).where(api_keys.c.id == key_id).values(expires_at=when)
                )
        self._forget(key_id)
        return self.get(key_id)

    def authenticate(self, raw_key: str | None) -> Principal:
        """Turn a raw key into a `Principal`, or raise `AuthenticationError` (401)."""
        if not raw_key:
            raise AuthenticationError(
                "missing API key: send `Authorization: Bearer agk_...`", code="missing_api_key"
            )
        match = _KEY.match(raw_key.strip())
        if match is None:
            raise AuthenticationError(
                "malformed API key: expected agk_<id>_<secret> as printed by `agadir keys create`"
            )
        key_id, secret = match.groups()
        entry = self._lookup(key_id)
        if entry is None or not hmac.compare_digest(hash_secret(entry.salt, secret), entry.digest):
            raise AuthenticationError("invalid API key: it is not known to this server")
        info, now = entry.info, self._clock()
        if info.revoked_at is not None:
            raise AuthenticationError(
                f"API key {key_id} was revoked; ask for a new one", code="revoked_api_key"
            )
        if info.expires_at is not None and now >= info.expires_at:
            raise AuthenticationError(
                f"API key {key_id} has expired; ask for a new one", code="expired_api_key"
            )
        if not entry.tenant.enabled:
            raise AuthenticationError(f"tenant {info.tenant!r} is disabled", code="tenant_disabled")
        return entry.principal

    def _lookup(self, key_id: str) -> _Cached | None:
        now = time.monotonic()
        hit = self._cache.get(key_id)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        query = (
            select(
                api_keys,
                tenants.c.name.label("t_name"),
                *[c.label(f"t_{c.name}") for c in tenants.c if c.name != "name"],
            )
            .join(tenants, tenants.c.name == api_keys.c.tenant)
            .where(api_keys.c.id == key_id)
        )
        with self._store.read() as conn:
            row = conn.execute(query).first()
        entry: _Cached | None = None
        if row is not None:
            tenant = Tenant(
                name=row.t_name,
                created_at=row.t_created_at,
                disabled_at=row.t_disabled_at,
                audit_content=row.t_audit_content,
                pii_mode=row.t_pii_mode,
                pseudonym_secret=row.t_pseudonym_secret,
                limits=Limits(rpm=row.t_rpm, tpm=row.t_tpm, tpd=row.t_tpd),
            )
            info = KeyInfo.from_row(row)
            principal = Principal(
                key_id=key_id,
                tenant=tenant,
                scopes=ScopeSet.of(info.scopes),
                limits=info.limits,
                expires_at=info.expires_at,
            )
            entry = _Cached(bytes(row.salt), bytes(row.digest), info, tenant, now, principal)
        with self._lock:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[key_id] = (now, entry)
        return entry

    def _forget(self, key_id: str) -> None:
        with self._lock:
            self._cache.pop(key_id, None)

    def forget_tenant(self, tenant: str) -> None:
        """Drop the cached keys of `tenant` so its next request reads the changed row (a
        disabled tenant is refused at once, new limits or PII policy apply at once)."""
        with self._lock:
            stale = [
                k for k, (_, e) in self._cache.items() if e is not None and e.info.tenant == tenant
            ]
            for key_id in stale:
                del self._cache[key_id]
