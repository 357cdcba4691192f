"""Moroccan PII in corpus documents: mask in place or drop the document; counts by type.

Uses the validated recognisers of `agadir.lang.pii` (phones, RIB, IBAN MA, ICE, CIN, e-mail,
IP, payment cards). ``mask`` replaces each value with ``[TYPE]`` (no secret needed, nothing
reversible left in the corpus); ``drop`` removes any document holding PII (reason ``pii``).
Per-type counts land in the step's stats (``pii/PHONE``) and in ``metadata["pii"]``. It does
not find names or addresses: free-text identities need NER, which we do not ship.
"""

from __future__ import annotations

from enum import StrEnum

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from agadir.lang.pii import PiiMode, apply_pii_policy, find_pii


class CorpusPiiMode(StrEnum):
    """What the corpus does with a document that holds PII."""

    MASK = "mask"
    DROP = "drop"
    OFF = "off"


class MoroccanPII(BaseFilter):
    """Find Moroccan PII; mask it (default) or drop the document."""

    name = "🛡 Moroccan PII"

    def __init__(self, mode: CorpusPiiMode | str = CorpusPiiMode.MASK) -> None:
        super().__init__()
        self.mode = CorpusPiiMode(mode)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self.mode is CorpusPiiMode.OFF:
            return True
        if self.mode is CorpusPiiMode.DROP:
            matches = find_pii(doc.text)
            counts: dict[str, int] = {}
            for m in matches:
                counts[m.type.value] = counts.get(m.type.value, 0) + 1
        else:
            result = apply_pii_policy(doc.text, PiiMode.MASK)
            counts = result.counts_for_audit()
            doc.text = result.text
        for kind, n in counts.items():
            self.stat_update(f"pii/{kind}", value=n)
        if counts:
            self.stat_update("pii/documents")
            doc.metadata["pii"] = counts
            if self.mode is CorpusPiiMode.DROP:
                return False, "pii"
        return True
