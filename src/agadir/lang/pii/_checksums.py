"""Check-digit algorithms. Pure integer arithmetic on ASCII digit strings.

Why each exists: a 24-digit string is a RIB only if its key agrees; a 15-digit string is an
ICE only if it is divisible by 97; a card number only if Luhn holds. Matching the shape
alone would flag every order number and timestamp.
"""

from __future__ import annotations


def luhn_valid(digits: str) -> bool:
    """Luhn (ISO/IEC 7812-1) check used by payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def rib_key(bank_city_account: str) -> int:
    """The Moroccan RIB key for the 22 digits bank (3) + city (3) + account (16).

    The standard algorithm shared with the French RIB: ``97 - (number × 100 mod 97)``,
    so the key is in 1..97 and the full 24-digit number is divisible by 97.
    """
    return 97 - (int(bank_city_account) * 100) % 97


def rib_valid(digits: str) -> bool:
    """24 digits whose last two are the RIB key of the first 22."""
    return len(digits) == 24 and rib_key(digits[:22]) == int(digits[22:])


def ice_valid(digits: str) -> bool:
    """15-digit ICE: the whole number is divisible by 97."""
    return len(digits) == 15 and int(digits) % 97 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 / ISO 7064 MOD 97-10 on an IBAN given without spaces (letters any case).

    The four leading characters move to the end, letters become 10..35, and the resulting
    integer must leave remainder 1 when divided by 97.
    """
    if len(iban) < 5 or not iban.isascii() or not iban[2:4].isdigit():
        return False
    moved = (iban[4:] + iban[:4]).upper()
    numeric = "".join(str(ord(c) - 55) if c.isalpha() else c for c in moved)
    if not numeric.isdigit():
        return False
    return int(numeric) % 97 == 1


def iban_ma_valid(compact: str) -> bool:
    """A Moroccan IBAN: ``MA`` + 2 check digits + 24 digits (28 characters), MOD 97-10."""
    return (
        len(compact) == 28
        and compact[:2].upper() == "MA"
        and compact.isascii()
        and compact[2:].isdigit()
        and iban_valid(compact)
    )
