"""Moroccan PII: recognisers that validate (check digits, formats, context) and policies.

``find_pii(text)`` lists validated matches (phones, RIB, IBAN MA, ICE, CIN, e-mail, IP,
payment cards) in Latin or Arabic text, with ASCII, Arabic-Indic or Persian digits.
``apply_pii_policy(text, mode, secret)`` masks, pseudonymises or blocks them. Pure: no I/O,
no mutable module state. See docs/pii.md for what is and is not recognised.
"""

from ._canonical import canonical_value
from ._checksums import iban_ma_valid, iban_valid, ice_valid, luhn_valid, rib_key, rib_valid
from ._errors import PiiBlockedError, PiiSecretMissingError
from ._find import find_pii, resolve_overlaps
from ._policy import PiiMode, PiiPolicy, PiiResult, apply_pii_policy, pseudonym
from ._types import PiiMatch, PiiType

__all__ = [
    "PiiBlockedError",
    "PiiMatch",
    "PiiMode",
    "PiiPolicy",
    "PiiResult",
    "PiiSecretMissingError",
    "PiiType",
    "apply_pii_policy",
    "canonical_value",
    "find_pii",
    "iban_ma_valid",
    "iban_valid",
    "ice_valid",
    "luhn_valid",
    "pseudonym",
    "resolve_overlaps",
    "rib_key",
    "rib_valid",
]
