"""One spelling per value, so pseudonyms do not depend on how a number was typed.

"06 12 34 56 78", "+212 6-12-34-56-78" and "٠٦١٢٣٤٥٦٧٨" are the same phone; "A@Site.MA"
and "a@site.ma" the same mailbox (domains are case-insensitive; we also fold the local part,
as every Moroccan provider does); "2001:DB8::0:1" and "2001:db8::1" the same address.
"""

from __future__ import annotations

import ipaddress
import re

from ._digits import ascii_digits, digits_only
from ._types import PiiMatch, PiiType

_SPACING = re.compile(r"[\s.\-]+")


def canonical_value(match: PiiMatch) -> str:
    """The normal form of ``match.value`` for its type."""
    raw = match.value
    if match.type is PiiType.PHONE:
        digits = digits_only(raw)
        national = digits[-9:]
        return "+212" + national
    if match.type is PiiType.IBAN:
        return "MA" + digits_only(raw)
    if match.type is PiiType.CIN:
        return _SPACING.sub("", ascii_digits(raw)).upper()
    if match.type is PiiType.EMAIL:
        return raw.lower()
    if match.type is PiiType.IP:
        return str(ipaddress.ip_address(ascii_digits(raw)))
    return digits_only(raw)
