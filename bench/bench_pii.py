"""PII recognisers: throughput on mixed Arabic/French text and precision/recall on a labelled set.

Both data sets are generated here from a seed (nothing is read from disk), so the figures are
reproducible: ``python bench/bench_pii.py [--mb 5] [--seed 2024]``. The labelled set holds
valid identifiers in several spellings (spacing variants, Arabic-Indic and Persian digits,
Arabic and French context) and decoys that must *not* be flagged: the same identifiers with a
wrong check digit, dates, prices, order numbers, times, versions and foreign phone numbers.
Prints Markdown tables; targets are >= 5 MB/s on one core and precision/recall >= 0.98.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable

from agadir.lang.pii import PiiType, apply_pii_policy, find_pii, rib_key

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"

FILLER_FR = [
    "Bonjour, je voudrais des informations sur le dossier de ma mère à l'hôpital.",
    "La réunion du conseil communal est reportée à la semaine prochaine, merci de confirmer.",
    "Nous avons bien reçu votre demande et elle sera traitée dans les meilleurs délais.",
    "Le marché de Souk El Had ouvre tôt le matin ; les prix des légumes ont encore augmenté.",
    "Pouvez-vous m'envoyer le contrat signé avant vendredi ? Merci d'avance.",
    "L'agence d'Agadir sera fermée pour inventaire, veuillez nous excuser.",
]
FILLER_AR = [
    "السلام عليكم، بغيت نعرف واش الملف ديالي تقبل ولا مازال.",
    "تم تأجيل اجتماع المجلس الجماعي إلى الأسبوع المقبل، المرجو التأكيد.",
    "شكرا بزاف على المساعدة ديالكم، الله يجازيكم بخير.",
    "يرجى إرسال نسخة من العقد الموقع قبل يوم الجمعة.",
    "الوكالة ديال أكادير غادي تكون مسدودة نهار السبت.",
    "ثمن الخضرة طلع بزاف فهاد السيمانة فالسوق.",
]
CONTEXT = {
    PiiType.PHONE: ["Mon numéro : {}", "رقم الهاتف ديالي هو {}", "Appelez au {} svp", "تصل بيا {}"],
    PiiType.RIB: ["Mon RIB : {}", "الرقم البنكي ديالي {}", "Virement sur le RIB {} merci"],
    PiiType.IBAN: ["IBAN : {}", "حولو ليا على {}", "Voici mon IBAN {}."],
    PiiType.ICE: ["ICE : {}", "رقم التعريف الموحد للمقاولة {}", "Société XYZ, ICE {}"],
    PiiType.CIN: ["CIN : {}", "رقم البطاقة الوطنية {}", "ب.ت.و {}", "carte nationale n° {}"],
    PiiType.EMAIL: ["Écrivez à {} pour le suivi.", "الإيميل ديالي {}", "contact : {}"],
    PiiType.IP: ["Connexion depuis {} refusée.", "عنوان IP هو {}", "serveur {} en panne"],
    PiiType.CARD: ["Ma carte {} a été débitée deux fois.", "رقم البطاقة البنكية {}", "carte {}"],
}


def script_digits(rng: random.Random, text: str) -> str:
    """Rewrite digits in ASCII (70%), Arabic-Indic (20%) or Persian (10%)."""
    roll = rng.random()
    table = None if roll < 0.7 else ARABIC_INDIC if roll < 0.9 else PERSIAN
    return text if table is None else "".join(table[int(c)] if c.isdigit() else c for c in text)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def group(s: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(s[i : i + n])
        i += n
    return sep.join(out)


def luhn_complete(prefix: str) -> str:
    for k in "0123456789":
        cand = prefix + k
        total = sum(
            (int(c) * 2 - 9 if int(c) > 4 else int(c) * 2) if i % 2 else int(c)
            for i, c in enumerate(reversed(cand))
        )
        if total % 10 == 0:
            return cand
    raise AssertionError


def make_phone(rng: random.Random, valid: bool) -> str:
    nsn = rng.choice("567") + digits(rng, 8)
    if not valid:  # a ten-digit number that is not Moroccan, or a wrong operator digit
        return rng.choice(
            [
                "+33 6 " + group(digits(rng, 8), [2, 2, 2, 2], " "),
                "+1 415 555 " + digits(rng, 4),
                "0" + rng.choice("1234") + digits(rng, 8),
                "+34 " + group("6" + digits(rng, 8), [3, 3, 3], " "),
            ]
        )
    style = rng.randrange(7)
    if style == 0:
        return "0" + nsn
    if style == 1:
        return group("0" + nsn, [2, 2, 2, 2, 2], rng.choice(" .-"))
    if style == 2:
        return "+212" + nsn
    if style == 3:
        return "+212 " + group(nsn, [1, 2, 2, 2, 2], " ")
    if style == 4:
        return "+212 (0)" + group(nsn, [1, 2, 2, 2, 2], "-")
    if style == 5:
        return "(+212) " + group(nsn, [3, 3, 3], " ")
    return "00212 " + group(nsn, [3, 6], "-")


def make_rib(rng: random.Random, valid: bool) -> str:
    body = rng.choice(["007", "011", "145", "230", "190"]) + digits(rng, 19)
    key = rib_key(body)
    if not valid:
        key = (key + rng.randint(1, 96)) % 100
    full = body + f"{key:02d}"
    return rng.choice([full, group(full, [3, 3, 16, 2], " "), group(full, [4] * 6, " ")])


def make_iban(rng: random.Random, valid: bool) -> str:
    body = rng.choice(["007", "011", "145"]) + digits(rng, 19)
    rib = body + f"{rib_key(body):02d}"
    check = 98 - int(rib + "221000") % 97
    if not valid:
        check = (check + rng.randint(1, 90)) % 100
    iban = f"MA{check:02d}{rib}"
    return rng.choice([iban, group(iban, [4] * 7, " ")])


def make_ice(rng: random.Random, valid: bool) -> str:
    head = digits(rng, 13)
    key = (97 - int(head) * 100 % 97) % 97
    if not valid:
        key = (key + rng.randint(1, 96)) % 97
    return head + f"{key:02d}"


def make_cin(rng: random.Random, valid: bool) -> str:
    letters = rng.choice(["A", "B", "J", "K", "AB", "BE", "BK", "EE", "JA", "CD"])
    if not valid:  # ambiguous shapes without a context word, or too many digits
        return rng.choice(["L" + digits(rng, 5), "ref ab" + digits(rng, 6), "X" + digits(rng, 8)])
    return letters + digits(rng, rng.choice([5, 6]))


def make_email(rng: random.Random, valid: bool) -> str:
    user = rng.choice(["ali", "fatima.zahra", "y.benali", "contact", "s_amrani99"])
    if not valid:
        return rng.choice([f"{user}@localhost", f"{user}@", f"@{user}", f"{user}..x@site"])
    return f"{user}@{rng.choice(['gmail.com', 'menara.ma', 'gov.ma', 'uiz.ac.ma'])}"


def make_ip(rng: random.Random, valid: bool) -> str:
    if not valid:
        return rng.choice(
            [f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.1.1", "10:30:00", "v1.2.3", "std::map"]
        )
    if rng.random() < 0.7:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    prefix = rng.choice(["2001:db8::", "fe80::1:", "2a01:e0a:1f::", "2001:41d0:8:e8ad::"])
    return prefix + f"{rng.randint(1, 65535):x}"


def make_card(rng: random.Random, valid: bool) -> str:
    prefix, length, sizes = rng.choice(
        [("4", 16, [4, 4, 4, 4]), ("51", 16, [4, 4, 4, 4]), ("37", 15, [4, 6, 5])]
    )
    number = luhn_complete(prefix + digits(rng, length - len(prefix) - 1))
    if not valid:
        number = number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)
    return rng.choice([number, group(number, sizes, " "), group(number, sizes, "-")])


MAKERS: dict[PiiType, Callable[[random.Random, bool], str]] = {
    PiiType.PHONE: make_phone,
    PiiType.RIB: make_rib,
    PiiType.IBAN: make_iban,
    PiiType.ICE: make_ice,
    PiiType.CIN: make_cin,
    PiiType.EMAIL: make_email,
    PiiType.IP: make_ip,
    PiiType.CARD: make_card,
}
DECOYS = [
    "le {d:02d}/{m:02d}/2024",
    "rendez-vous le {d:02d}.{m:02d}.2024 à 10:30",
    "يوم {d:02d}-{m:02d}-2024",
    "prix : 1 2{d:02d},50 DH",
    "الثمن {d}{m}00 درهم",
    "commande n° 2024{d:02d}{m:02d}73",
    "رقم الطلب 88{d:02d}13",
    "facture FA-2024-00{d:02d}",
    "version 3.{m}.{d}",
    "colis 1Z{d:02d}{m:02d}999",
    "code postal 80{d:02d}0",
    "envoi RR{d:02d}4567{m:02d}9MA",
    "montant 1 250 0{d:02d} DH",
    "horodatage 17171{d:02d}{m:02d}1",
    "plaque 12{d:02d}5-أ-{m}",
    "du {d:02d}/{m:02d} au {d:02d}/{m:02d}/2024 à 10:{d:02d}",
    "tél. fixe +33 1 {d:02d} {m:02d} 45 67",
]


Label = tuple[PiiType, int, int]


def is_other_valid_id(value: str) -> bool:
    """Whether a decoy's digits happen to form a valid ICE or RIB (then it is not a decoy).

    Checked with plain arithmetic here rather than the library, so the labels do not depend
    on the code under test: one 15-digit string in 97 is a genuine ICE, and a
    15-digit '34…'/'37…' string passing Luhn is a genuine Amex number.
    """
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) in (15, 24) and int(digits) % 97 == 0:
        return True
    amex = len(digits) == 15 and digits[:2] in ("34", "37")
    return amex and luhn_complete(digits[:-1]) == digits


def labelled_set(seed: int, n: int) -> list[tuple[str, list[Label]]]:
    """``n`` sentences, each with at most one true PII span and some decoys."""
    rng = random.Random(seed)
    out: list[tuple[str, list[Label]]] = []
    kinds = list(MAKERS)
    for _ in range(n):
        kind = rng.choice(kinds)
        valid = rng.random() < 0.6
        value = MAKERS[kind](rng, valid)
        while not valid and is_other_valid_id(value):
            value = MAKERS[kind](rng, valid)
        if kind not in (PiiType.EMAIL, PiiType.IP):
            value = script_digits(rng, value)
        # A CIN decoy is an ambiguous shape *without* a context word; with one it is a CIN.
        context = valid or (kind is not PiiType.CIN and rng.random() < 0.5)
        if kind is PiiType.CIN and valid and len(value) == 8 and value[:2].isalpha():
            context = rng.random() < 0.5  # AB123456 stands on its own
        template = rng.choice(CONTEXT[kind]) if context else "{}"
        decoy = rng.choice(DECOYS).format(d=rng.randint(1, 28), m=rng.randint(1, 12))
        decoy = script_digits(rng, decoy)
        filler = rng.choice(FILLER_FR + FILLER_AR)
        head = f"{filler} {decoy}, "
        body = template.format(value) if template != "{}" else value
        sentence = head + body + " " + rng.choice(FILLER_FR + FILLER_AR)
        labels: list[Label] = []
        if valid:
            start = len(head) + body.index(value)
            labels.append((kind, start, start + len(value)))
        out.append((sentence, labels))
    return out


def quality(samples: list[tuple[str, list[Label]]]) -> dict[str, tuple[int, int, int]]:
    """Per type: true positives, false positives, false negatives (exact type and span)."""
    tally: dict[str, list[int]] = {}
    for text, labels in samples:
        gold = set(labels)
        found = {(m.type, m.start, m.end) for m in find_pii(text)}
        for kind, *_ in gold | found:
            tally.setdefault(kind.value, [0, 0, 0])
        for item in found & gold:
            tally[item[0].value][0] += 1
        for item in found - gold:
            tally[item[0].value][1] += 1
        for item in gold - found:
            tally[item[0].value][2] += 1
    return {k: (v[0], v[1], v[2]) for k, v in sorted(tally.items())}


def corpus(seed: int, megabytes: float) -> list[str]:
    """Messages of 1–3 KB of mixed Arabic/French prose with PII at a chat-like density."""
    rng = random.Random(seed + 1)
    samples = labelled_set(seed + 2, 2000)
    messages: list[str] = []
    size = 0
    while size < megabytes * 1e6:
        parts: list[str] = []
        while sum(len(p.encode()) for p in parts) < rng.randint(1000, 3000):
            parts.append(rng.choice(FILLER_FR + FILLER_AR))
            if rng.random() < 0.15:
                parts.append(rng.choice(samples)[0])
        message = " ".join(parts)
        messages.append(message)
        size += len(message.encode())
    return messages


def throughput(messages: list[str], fn: Callable[[str], object], repeats: int) -> float:
    """Median MB/s (UTF-8 bytes) over ``repeats`` passes."""
    total = sum(len(m.encode()) for m in messages) / 1e6
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for m in messages:
            fn(m)
        rates.append(total / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=5.0, help="size of the throughput corpus")
    parser.add_argument("--n", type=int, default=20000, help="labelled sentences")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    samples = labelled_set(args.seed, args.n)
    scores = quality(samples)
    positives = sum(len(labels) for _, labels in samples)
    print(f"### PII precision / recall ({args.n} sentences, {positives} true spans, ", end="")
    print(f"seed {args.seed})\n")
    print("| type | TP | FP | FN | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|")
    tp = fp = fn = 0
    for kind, (a, b, c) in scores.items():
        tp, fp, fn = tp + a, fp + b, fn + c
        print(f"| {kind} | {a} | {b} | {c} | {a / max(1, a + b):.4f} | {a / max(1, a + c):.4f} |")
    print(f"| **all** | {tp} | {fp} | {fn} | **{tp / (tp + fp):.4f}** | **{tp / (tp + fn):.4f}** |")

    messages = corpus(args.seed, args.mb)
    mb = sum(len(m.encode()) for m in messages) / 1e6
    found = Counter(m.type.value for msg in messages for m in find_pii(msg))
    print(
        f"\n### PII throughput (one core, {len(messages)} messages, {mb:.1f} MB UTF-8, "
        f"{sum(found.values())} matches, median of {args.repeats})\n"
    )
    print("| operation | MB/s |")
    print("|---|---:|")
    print(f"| find_pii | {throughput(messages, find_pii, args.repeats):.1f} |")
    mask = lambda text: apply_pii_policy(text, "mask")  # noqa: E731
    pseudo = lambda text: apply_pii_policy(text, "pseudonymise", b"tenant-secret")  # noqa: E731
    print(f"| apply_pii_policy mask | {throughput(messages, mask, args.repeats):.1f} |")
    print(f"| apply_pii_policy pseudonymise | {throughput(messages, pseudo, args.repeats):.1f} |")
    dense = [text for text, _ in samples]  # every sentence holds an identifier or a decoy
    print(f"| find_pii, labelled set (dense) | {throughput(dense, find_pii, args.repeats):.1f} |")


if __name__ == "__main__":
    main()
