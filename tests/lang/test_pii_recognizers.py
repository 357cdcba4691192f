"""Each recogniser on valid and invalid values, spacing variants, digit scripts and decoys."""

from __future__ import annotations

import pytest

from agadir.lang.pii import PiiMatch, PiiType, find_pii

AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

RIB = "011780000012345678901296"  # key 96 by the weighted formula (see test_pii_checksums)
RIB_BAD = "011780000012345678901297"
IBAN = "MA64011780000012345678901296"
IBAN_BAD = "MA65011780000012345678901296"
ICE = "001525822000064"  # 1525822000064 = 97 × 15730123712
ICE_BAD = "001525822000065"
VISA = "4111111111111111"
AMEX = "378282246310005"


def found(text: str) -> list[tuple[PiiType, str]]:
    return [(m.type, m.value) for m in find_pii(text)]


def only(text: str, kind: PiiType, value: str) -> None:
    assert found(text) == [(kind, value)], found(text)


@pytest.mark.parametrize(
    "phone",
    [
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612-345678",
        "0522 33 44 55",
        "+212612345678",
        "+212 6 12 34 56 78",
        "+212 612 345 678",
        "+212 (0)6 12 34 56 78",
        "(+212) 712345678",
        "00212 5 22 33 44 55",
        "0612345678".translate(AR),
        "+212 6 12 34 56 78".translate(FA),
    ],
)
@pytest.mark.parametrize("template", ["Mon numéro : {} merci", "رقم الهاتف ديالي {} عافاك"])
def test_phone_formats(phone: str, template: str) -> None:
    only(template.format(phone), PiiType.PHONE, phone)


@pytest.mark.parametrize(
    "text",
    [
        "le 12/05/2024 à 10:30",
        "rendez-vous 05.06.2024 12:30",  # ten digits, but a date and a time
        "commande n° 2024118273",
        "appelez le +33 6 12 34 56 78",  # ten-digit French mobile
        "call +1 415 555 0132",
        "fixe 0312345678",  # 03 is not a Moroccan prefix
        "0812345678",
        "06123456789",  # eleven digits
        "06 1 2 3 4 5 6 7 8",  # one-digit groups are not how numbers are written
        "prix : 1 234,50 DH",
    ],
)
def test_phone_decoys(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("appelez-moi au 0808 45 67 12", "0808 45 67 12"),
        ("Mon numéro VoIP : 0808456712", "0808456712"),
        ("tél 08.08.45.67.12 après 18h", "08.08.45.67.12"),
        ("3ayet lia f 0808 45 67 12", "0808 45 67 12"),
        ("عيط ليا فـ 0808456712", "0808456712"),
        ("+212 808 45 67 12 (portable du bureau)", "+212 808 45 67 12"),
    ],
)
def test_phone_08_range_with_context(text: str, value: str) -> None:
    """ANRT's 08 range (non-geographic, VoIP) is a phone when a phone word is near."""
    only(text, PiiType.PHONE, value)


@pytest.mark.parametrize(
    "text",
    [
        "commande 0808456712 expédiée",
        "facture FA 08 08 45 67 12",
        "رقم الطلب 0808456712",
        "lot 0801234567 du 12/05",
    ],
)
def test_phone_08_range_without_context_is_not_a_phone(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "rib",
    [
        RIB,
        f"{RIB[:3]} {RIB[3:6]} {RIB[6:22]} {RIB[22:]}",
        " ".join(RIB[i : i + 4] for i in range(0, 24, 4)),
        RIB.translate(AR),
    ],
)
def test_rib(rib: str) -> None:
    only(f"Mon RIB : {rib}.", PiiType.RIB, rib)
    only(f"الرقم البنكي ديالي {rib}", PiiType.RIB, rib)


def test_rib_with_wrong_key_is_not_reported_as_anything() -> None:
    assert found(f"RIB {RIB_BAD}") == []


@pytest.mark.parametrize(
    "iban", [IBAN, " ".join(IBAN[i : i + 4] for i in range(0, 28, 4)), IBAN.translate(AR)]
)
def test_iban(iban: str) -> None:
    # The IBAN wins over the RIB inside it: longest validated match.
    only(f"IBAN : {iban}", PiiType.IBAN, iban)


def test_iban_bad_check_digits_falls_back_to_nothing() -> None:
    # "MA65…" fails MOD 97-10; the 24 digits after the check digits are glued to it, so
    # they are not a standalone RIB either.
    assert found(f"IBAN {IBAN_BAD}") == []


@pytest.mark.parametrize("ice", [ICE, "001 525 822 000 064", ICE.translate(AR)])
def test_ice(ice: str) -> None:
    only(f"Société XYZ, ICE : {ice}", PiiType.ICE, ice)
    only(f"رقم التعريف الموحد للمقاولة {ice}", PiiType.ICE, ice)


def test_ice_bad_key() -> None:
    assert found(f"ICE {ICE_BAD}") == []


@pytest.mark.parametrize(
    "card",
    [
        VISA,
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        AMEX,
        "3782 822463 10005",
        "5555 5555 5555 4444",
        VISA.translate(AR),
    ],
)
def test_card(card: str) -> None:
    only(f"Ma carte {card} a été débitée.", PiiType.CARD, card)


@pytest.mark.parametrize(
    "text",
    [
        "carte 4111 1111 1111 1112",  # Luhn fails
        "n° 1234567812345670",  # Luhn passes but no issuer starts with 12
        "4111 11 1111 1111 11",  # not a card grouping
        "commande 900000000000000018",
    ],
)
def test_card_decoys(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Ma CIN est AB123456 svp", "AB123456"),
        ("J123456 est mon numéro", "J123456"),
        ("C.I.N : J12345", "J12345"),
        ("carte nationale n° BK 12345", "BK 12345"),
        ("رقم البطاقة الوطنية ab123456", "ab123456"),
        ("ب.ت.و EE١٢٣٤٥", "EE١٢٣٤٥"),
        ("CNIE: x12345", "x12345"),
    ],
)
def test_cin(text: str, value: str) -> None:
    only(text, PiiType.CIN, value)


@pytest.mark.parametrize(
    "text",
    [
        "lot L12345 livré",  # five digits, no context word
        "référence ab123456",  # lowercase, no context word
        "modèle AB 123456",  # spaced, no context word
        "CIN: le 12345",  # a French word then a number, even near "CIN"
        "REF123456",  # three letters
        "X12345678",  # too many digits
    ],
)
def test_cin_decoys(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Écrivez à fatima.zahra@menara.ma pour le suivi.", "fatima.zahra@menara.ma"),
        ("الإيميل ديالي y.benali@uiz.ac.ma شكرا", "y.benali@uiz.ac.ma"),
        ("contact: Ali_99+info@Gmail.COM.", "Ali_99+info@Gmail.COM"),
    ],
)
def test_email(text: str, value: str) -> None:
    only(text, PiiType.EMAIL, value)


@pytest.mark.parametrize("text", ["ali@localhost", "ali@", "@ali", "a..b@site.ma", "x@y.c"])
def test_email_decoys(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "ip", ["192.168.1.10", "8.8.8.8", "2001:db8::1", "fe80::1:abcd", "::ffff:10.0.0.1"]
)
def test_ip(ip: str) -> None:
    only(f"Connexion depuis {ip} refusée.", PiiType.IP, ip)
    only(f"عنوان IP هو {ip}", PiiType.IP, ip)


@pytest.mark.parametrize(
    "text",
    ["version 1.2.3", "256.1.1.1", "le 10.11.2024", "10:30:00", "std::vector<int>", "Foo::Bar"],
)
def test_ip_decoys(text: str) -> None:
    assert found(text) == []


def test_spans_and_offsets_are_exact_in_a_mixed_message() -> None:
    text = (
        f"Salam, ana Ali, tel ٠٦١٢٣٤٥٦٧٨, RIB {RIB}, mail ali@site.ma "
        f"و CIN AB123456 le 12/05/2024 pour 1 250,00 DH."
    )
    matches = find_pii(text)
    assert [m.type for m in matches] == [
        PiiType.PHONE,
        PiiType.RIB,
        PiiType.EMAIL,
        PiiType.CIN,
    ]
    for m in matches:
        assert text[m.start : m.end] == m.value


def test_overlap_longest_then_most_specific_wins() -> None:
    # The e-mail's local part is a valid phone number; the e-mail is longer and wins.
    assert found("écrire à 0612345678@gmail.com") == [(PiiType.EMAIL, "0612345678@gmail.com")]
    # A valid ICE that is also a Luhn-valid Amex-shaped number: same length, ICE is stronger.
    head = "3400000000000"
    ice_amex = next(f"{head}{k:02d}" for k in range(100) if int(f"{head}{k:02d}") % 97 == 0)
    assert found(f"n° {ice_amex}")[0][0] in (PiiType.ICE, PiiType.CARD)
    assert found(f"ICE {ice_amex}")[0][0] is PiiType.ICE


def test_type_filter() -> None:
    text = f"tel 0612345678 RIB {RIB}"
    assert found(text) == [(PiiType.PHONE, "0612345678"), (PiiType.RIB, RIB)]
    assert find_pii(text, types={PiiType.RIB}) == [PiiMatch(PiiType.RIB, 19, 43, RIB)]


def test_text_without_digits_at_or_colons_is_empty() -> None:
    assert find_pii("السلام عليكم، كيف داير؟ Bonjour à tous.") == []
    assert find_pii("") == []
