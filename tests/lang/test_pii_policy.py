"""Policy modes: off, mask, pseudonymise (stable, secret-dependent), block (typed 400)."""

from __future__ import annotations

import re

import pytest

from agadir.errors import AgadirError
from agadir.lang.pii import (
    PiiBlockedError,
    PiiMode,
    PiiPolicy,
    PiiSecretMissingError,
    PiiType,
    apply_pii_policy,
)

RIB = "011780000012345678901296"
TEXT = (
    "Salam, tel 06 12 34 56 78 ou +212 612-345678, RIB "
    + RIB
    + ", carte 4111 1111 1111 1111, mail ali@site.ma, IP 10.0.0.7, CIN AB123456."
)
VALUES = ("06 12 34 56 78", "+212 612-345678", RIB, "4111 1111 1111 1111", "ali@site.ma")


def test_off_returns_text_untouched_without_scanning() -> None:
    result = apply_pii_policy(TEXT, "off")
    assert result.text == TEXT
    assert result.counts == {}
    assert not result.found


def test_mask_replaces_every_value_with_its_label() -> None:
    result = apply_pii_policy(TEXT, PiiMode.MASK)
    assert result.text == (
        "Salam, tel [PHONE] ou [PHONE], RIB [RIB], carte [CARD], mail [EMAIL], IP [IP], CIN [CIN]."
    )
    assert result.counts == {
        PiiType.PHONE: 2,
        PiiType.RIB: 1,
        PiiType.CARD: 1,
        PiiType.EMAIL: 1,
        PiiType.IP: 1,
        PiiType.CIN: 1,
    }
    assert result.counts_for_audit() == {
        "CARD": 1,
        "CIN": 1,
        "EMAIL": 1,
        "IP": 1,
        "PHONE": 2,
        "RIB": 1,
    }


def test_mask_on_text_without_pii_is_identity() -> None:
    result = apply_pii_policy("Bonjour, le 12/05/2024 à 10:30.", "mask")
    assert result.text == "Bonjour, le 12/05/2024 à 10:30."
    assert result.counts == {}


TOKEN = re.compile(r"\[([A-Z]+)_([0-9a-f]{8})\]")


def test_pseudonymise_is_stable_across_spellings_and_calls() -> None:
    result = apply_pii_policy(TEXT, "pseudonymise", b"tenant-a")
    tokens = TOKEN.findall(result.text)
    assert [kind for kind, _ in tokens] == ["PHONE", "PHONE", "RIB", "CARD", "EMAIL", "IP", "CIN"]
    # "06 12 34 56 78" and "+212 612-345678" are the same number: one token.
    assert tokens[0] == tokens[1]
    assert all(value not in result.text for value in VALUES)
    again = apply_pii_policy("Rappelle-moi au ٠٦١٢٣٤٥٦٧٨ stp", "pseudonymise", b"tenant-a")
    assert f"[PHONE_{tokens[0][1]}]" in again.text
    assert apply_pii_policy(TEXT, "pseudonymise", b"tenant-a") == result


def test_pseudonyms_depend_on_the_secret() -> None:
    a = TOKEN.findall(apply_pii_policy(TEXT, "pseudonymise", b"tenant-a").text)
    b = TOKEN.findall(apply_pii_policy(TEXT, "pseudonymise", b"tenant-b").text)
    assert [k for k, _ in a] == [k for k, _ in b]
    assert all(x[1] != y[1] for x, y in zip(a, b, strict=True))


def test_pseudonymise_distinguishes_values() -> None:
    text = "06 12 34 56 78 et 06 12 34 56 79"
    tokens = TOKEN.findall(apply_pii_policy(text, "pseudonymise", b"k").text)
    assert len(tokens) == 2 and tokens[0] != tokens[1]


@pytest.mark.parametrize("secret", [None, b""])
def test_pseudonymise_without_secret_is_a_config_error(secret: bytes | None) -> None:
    with pytest.raises(PiiSecretMissingError):
        apply_pii_policy(TEXT, "pseudonymise", secret)


def test_block_raises_typed_400_listing_types_not_values() -> None:
    with pytest.raises(PiiBlockedError) as caught:
        apply_pii_policy(TEXT, "block")
    err = caught.value
    assert isinstance(err, AgadirError)
    assert err.status_code == 400
    assert err.code == "pii_blocked"
    assert set(err.types) == {"PHONE", "RIB", "CARD", "EMAIL", "IP", "CIN"}
    assert "PHONE (2)" in err.message
    body = str(err.to_openai())
    for value in (*VALUES, "10.0.0.7", "AB123456"):
        assert value not in body
        assert value not in str(err)


def test_block_lets_clean_text_through() -> None:
    assert apply_pii_policy("Merci beaucoup !", "block").text == "Merci beaucoup !"


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError):
        apply_pii_policy(TEXT, "redact")


def test_policy_object_applies_mode_secret_and_type_filter() -> None:
    policy = PiiPolicy(PiiMode.MASK, types=frozenset({PiiType.RIB}))
    assert policy.apply(TEXT).text == TEXT.replace(RIB, "[RIB]")
    assert "tenant" not in repr(PiiPolicy(PiiMode.PSEUDONYMISE, secret=b"tenant-secret"))
