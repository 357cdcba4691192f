"""The vocabulary every recogniser and policy shares: what kind of PII, and where it is.

A match carries the *original* characters (Arabic-Indic digits, separators and all) and
character offsets into the text it was found in, so a policy can replace exactly that span.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PiiType(StrEnum):
    """Kinds of personal data we recognise; the value is also the ``[MASK]`` label."""

    PHONE = "PHONE"
    RIB = "RIB"
    IBAN = "IBAN"
    ICE = "ICE"
    CIN = "CIN"
    EMAIL = "EMAIL"
    IP = "IP"
    CARD = "CARD"


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One validated occurrence: ``text[start:end] == value``."""

    type: PiiType
    start: int
    end: int
    value: str

    def __len__(self) -> int:
        return self.end - self.start
