"""The PII policies of each tenant, built once per (mode, pseudonym secret) and reused.

Input text gets the tenant's mode as is; generated output cannot be refused after the fact,
so a tenant in `block` mode gets its output masked instead.
"""

from __future__ import annotations

from agadir.governance import Tenant
from agadir.lang.pii import PiiMode, PiiPolicy

PolicyPair = tuple[PiiPolicy | None, PiiPolicy | None]  # (input, output); None when off
_MAX_ENTRIES = 1024


class TenantPiiPolicies:
    """`for_tenant(tenant)` -> (input policy, output policy); a bounded memo."""

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, str], PolicyPair] = {}

    def for_tenant(self, tenant: Tenant) -> PolicyPair:
        key = (tenant.pii_mode, tenant.pseudonym_secret)
        pair = self._pairs.get(key)
        if pair is None:
            pair = _build(tenant.pii_mode, tenant.pseudonym_secret)
            if len(self._pairs) >= _MAX_ENTRIES:
                self._pairs.clear()
            self._pairs[key] = pair
        return pair


def _build(pii_mode: str, pseudonym_secret: str) -> PolicyPair:
    mode = PiiMode(pii_mode)
    secret = pseudonym_secret.encode()
    out_mode = PiiMode.MASK if mode is PiiMode.BLOCK else mode
    return (
        None if mode is PiiMode.OFF else PiiPolicy(mode=mode, secret=secret),
        None if out_mode is PiiMode.OFF else PiiPolicy(mode=out_mode, secret=secret),
    )
