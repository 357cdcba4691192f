"""What to do with PII once found: leave it, mask it, pseudonymise it, or refuse the text.

``pseudonymise`` replaces a value with ``[TYPE_xxxxxxxx]``, the first 8 hex digits of
HMAC-SHA256(tenant secret, type + canonical value). The same phone number written
"06 12 34 56 78" or "+212 612-345678" gives the same token within a tenant (so a
conversation stays coherent) and different tokens across tenants (so tokens cannot be joined
between tenants or reversed by hashing every phone number without the secret).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from ._canonical import canonical_value
from ._errors import PiiBlockedError, PiiSecretMissingError
from ._find import find_pii
from ._types import PiiMatch, PiiType

TOKEN_HEX_CHARS = 8


class PiiMode(StrEnum):
    """Per-tenant PII policy, applied to request input and to model output."""

    OFF = "off"
    MASK = "mask"
    PSEUDONYMISE = "pseudonymise"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class PiiResult:
    """The text after the policy and how many of each type were found (never the values)."""

    text: str
    counts: dict[PiiType, int] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.counts)

    def counts_for_audit(self) -> dict[str, int]:
        """Counts keyed by plain type names, ready for a JSON audit record."""
        return {kind.value: n for kind, n in sorted(self.counts.items())}


def pseudonym(match: PiiMatch, secret: bytes) -> str:
    """The stable token for ``match`` under ``secret``, e.g. ``[PHONE_3f9a1c2b]``."""
    message = f"{match.type.value}\x1f{canonical_value(match)}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).hexdigest()[:TOKEN_HEX_CHARS]
    return f"[{match.type.value}_{digest}]"


def _replace(text: str, matches: list[PiiMatch], replacement: list[str]) -> str:
    parts: list[str] = []
    pos = 0
    for match, new in zip(matches, replacement, strict=True):
        parts.append(text[pos : match.start])
        parts.append(new)
        pos = match.end
    parts.append(text[pos:])
    return "".join(parts)


def apply_pii_policy(
    text: str,
    mode: PiiMode | str,
    secret: bytes | None = None,
    *,
    types: Collection[PiiType] | None = None,
) -> PiiResult:
    """Apply ``mode`` to ``text``; ``types`` limits which kinds are acted on.

    Raises :class:`PiiBlockedError` in ``block`` mode when anything is found, and
    :class:`PiiSecretMissingError` in ``pseudonymise`` mode without a non-empty secret.
    ``off`` does not scan at all, so its counts are empty.
    """
    if not isinstance(mode, PiiMode):
        mode = PiiMode(mode)
    if mode is PiiMode.OFF:
        return PiiResult(text)
    if mode is PiiMode.PSEUDONYMISE and not secret:
        raise PiiSecretMissingError("The pseudonymise PII policy needs a per-tenant secret.")
    matches = find_pii(text, types)
    if not matches:  # the common case on the request path: no counting, no copies
        return PiiResult(text)
    counts = dict(Counter(m.type for m in matches))
    if mode is PiiMode.BLOCK:
        raise PiiBlockedError(counts)
    if mode is PiiMode.MASK:
        replacement = [f"[{m.type.value}]" for m in matches]
    else:
        assert secret is not None
        replacement = [pseudonym(m, secret) for m in matches]
    return PiiResult(_replace(text, matches, replacement), counts)


@dataclass(frozen=True, slots=True)
class PiiPolicy:
    """A tenant's policy as a value: the mode plus the secret pseudonyms are keyed with."""

    mode: PiiMode = PiiMode.OFF
    secret: bytes | None = field(default=None, repr=False)
    types: frozenset[PiiType] | None = None

    def apply(self, text: str) -> PiiResult:
        """Apply this policy to ``text`` (see :func:`apply_pii_policy`)."""
        return apply_pii_policy(text, self.mode, self.secret, types=self.types)
