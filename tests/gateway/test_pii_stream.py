"""Output PII policy on streams: identifiers split across tokens are still caught whole."""

from __future__ import annotations

from agadir.gateway.governance.pii_stream import StreamingPiiFilter
from agadir.lang.pii import PiiMode, PiiPolicy


def run(pieces: list[str]) -> tuple[str, dict[str, int]]:
    flt = StreamingPiiFilter(PiiPolicy(mode=PiiMode.MASK))
    out = "".join(flt.push(p) for p in pieces) + flt.flush()
    return out, flt.counts


def test_phone_split_over_tokens_is_masked() -> None:
    text, counts = run(["Appelez le ", "06 12", " 34 56", " 78 demain ", "matin svp."])
    assert text == "Appelez le [PHONE] demain matin svp."
    assert counts == {"PHONE": 1}


def test_long_text_flows_and_iban_at_the_boundary_is_whole() -> None:
    filler = "La coopérative a reçu le paiement. " * 4
    iban = "MA64 0115 1900 0001 2050 0053 4921"
    pieces = [filler[i : i + 7] for i in range(0, len(filler), 7)] + list(iban) + [" merci."]
    text, counts = run(pieces)
    assert text == filler + "[IBAN] merci." and counts == {"IBAN": 1}


def test_text_without_pii_is_unchanged() -> None:
    words = ["السلام ", "عليكم، ", "كيف ", "الحال؟"] * 20
    assert run(words)[0] == "".join(words)
