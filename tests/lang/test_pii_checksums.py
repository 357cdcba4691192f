"""Check-digit algorithms against independent arithmetic and published examples."""

from __future__ import annotations

import random

import pytest

from agadir.lang.pii import iban_ma_valid, iban_valid, ice_valid, luhn_valid, rib_key, rib_valid


def weighted_rib_key(bank: str, city: str, account: str) -> int:
    """The RIB key by the textbook weights (10^k mod 97), independent of the library."""
    number = bank + city + account
    remainder = sum(int(c) * pow(10, len(number) - i + 1, 97) for i, c in enumerate(number)) % 97
    return 97 - remainder


@pytest.mark.parametrize("seed", range(20))
def test_rib_key_matches_weighted_formula(seed: int) -> None:
    rng = random.Random(seed)
    bank, city = f"{rng.randrange(1000):03d}", f"{rng.randrange(1000):03d}"
    account = "".join(rng.choice("0123456789") for _ in range(16))
    key = weighted_rib_key(bank, city, account)
    assert rib_key(bank + city + account) == key
    assert rib_valid(f"{bank}{city}{account}{key:02d}")
    assert not rib_valid(f"{bank}{city}{account}{(key % 97) + 1:02d}")


def test_rib_rejects_wrong_length() -> None:
    assert not rib_valid("0" * 23)
    assert not rib_valid("0" * 25)


def test_iban_known_examples() -> None:
    # Published example IBANs (national formats from the IBAN registry).
    assert iban_valid("GB82WEST12345698765432")
    assert iban_valid("FR1420041010050500013M02606")
    assert not iban_valid("GB82WEST12345698765433")


def ma_iban(rib: str) -> str:
    check = 98 - int(rib + "221000") % 97  # "MA00" moved to the end: M=22, A=10
    return f"MA{check:02d}{rib}"


def test_iban_ma_round_trip_and_single_digit_errors() -> None:
    rib = "011780000012345678901296"
    iban = ma_iban(rib)
    assert iban == "MA64011780000012345678901296"
    assert iban_ma_valid(iban)
    assert iban_ma_valid(iban.lower())
    for i in range(4, 28):  # MOD 97-10 catches every single-digit substitution
        wrong = iban[:i] + str((int(iban[i]) + 3) % 10) + iban[i + 1 :]
        assert not iban_ma_valid(wrong)
    assert not iban_ma_valid(iban[:-1])
    assert not iban_ma_valid("FR" + iban[2:])


def test_ice_mod97() -> None:
    head = "0015258220000"
    key = next(k for k in range(100) if int(f"{head}{k:02d}") % 97 == 0)
    assert ice_valid(f"{head}{key:02d}")
    assert not ice_valid(f"{head}{(key + 1) % 100:02d}")
    assert not ice_valid(f"{head}{key:02d}0")


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert luhn_valid("5555555555554444")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("378282246310006")
