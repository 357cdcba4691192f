"""Errors raised by the PII policy, typed so the gateway and CLI map them once."""

from __future__ import annotations

from collections.abc import Mapping

from agadir.errors import ConfigError, InvalidRequestError

from ._types import PiiType


class PiiBlockedError(InvalidRequestError):
    """The tenant's policy is ``block`` and the text holds PII (HTTP 400).

    The message and attributes name the types and counts found, never the values, so the
    error itself can be logged and returned without leaking what it protects.
    """

    status_code = 400
    code = "pii_blocked"

    def __init__(self, counts: Mapping[PiiType, int], *, param: str | None = None) -> None:
        self.counts: dict[PiiType, int] = dict(sorted(counts.items()))
        found = ", ".join(f"{kind.value} ({n})" for kind, n in self.counts.items())
        super().__init__(f"Blocked by the PII policy: found {found}.", param=param)

    @property
    def types(self) -> tuple[PiiType, ...]:
        """The kinds of PII that caused the block, in alphabetical order."""
        return tuple(self.counts)


class PiiSecretMissingError(ConfigError):
    """``pseudonymise`` needs a per-tenant secret; without one tokens would be guessable."""
