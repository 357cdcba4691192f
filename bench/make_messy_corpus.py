"""Generate a realistic, messy, multilingual corpus with planted truth (the corpus demo input).

Why synthetic: we need to *score* the corpus builder (language routing, dedup, PII masking,
bad-input handling) and no licensed Moroccan web crawl comes with that truth. So documents are
built from the held-out LID sentences (``../shared/data/lid/dev.tsv``, CC-BY-SA, see
SOURCES.md), never the LID training split, so routing is measured on text the model did not
see. Everything is drawn from one seeded ``random.Random``: the same seed gives byte-identical
files.

What is planted (and recorded in ``truth.jsonl``, one line per document id):
- documents in 8 languages/scripts (Darija in Arabic and Latin script, MSA, French, Tamazight
  in Tifinagh and Latin, English and Spanish that a Moroccan recipe drops), as paragraphs of
  sentences; ~20 % of Darija documents are code-switched (one paragraph of French or of the
  other Darija script): their truth is the language holding most characters;
- duplicate groups: exact copies, and near-copies (a few words edited, two sentences swapped,
  or a site header/footer added), in other files than the original;
- boilerplate-only junk pages (menus, cookie banners, copyright lines);
- valid Moroccan PII (phones, RIB, IBAN MA, ICE, CIN next to its context word, e-mails), built
  with the check-digit helpers of ``agadir.lang.pii`` and recorded with character spans;
- bad lines: malformed JSON, and lines in legacy encodings (Windows-1256 Arabic, Latin-1).

Usage: ``python bench/make_messy_corpus.py --out bench/out/messy --docs 2000 --files 40``
writes ``OUT/jsonl/part-XXXX.jsonl`` and ``OUT/truth.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agadir.lang.pii import rib_key

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LID_DEV = SHARED / "lid" / "dev.tsv"

WEIGHTS = {
    "ary_Arab": 0.24,
    "ary_Latn": 0.18,
    "arb_Arab": 0.16,
    "fra_Latn": 0.14,
    "zgh_Tfng": 0.12,
    "ber_Latn": 0.06,
    "eng_Latn": 0.05,
    "spa_Latn": 0.05,
}
SWITCH = {"ary_Arab": "fra_Latn", "ary_Latn": "fra_Latn"}
HEADERS = [
    "Accueil | Actualités | Sport | Contact",
    "الرئيسية | أخبار | رياضة | اتصل بنا",
    "Home | News | Login | Register",
]
FOOTERS = [
    "© 2025 Tous droits réservés. Mentions légales | Politique de cookies",
    "جميع الحقوق محفوظة © 2025",
    "Partager sur Facebook | Twitter | WhatsApp",
]
JUNK_LINES = [
    "Accueil | Actualités | Contact | Connexion",
    "Ce site utilise des cookies. Accepter | Refuser | En savoir plus",
    "© 2025 Tous droits réservés.",
    "الرئيسية | اتصل بنا | من نحن",
    "Lire la suite >>",
    "Page 1 2 3 4 5 Suivant",
    "Newsletter : inscrivez-vous",
]
PII_TEMPLATES = {
    "PHONE": ["Pour plus d'infos appelez le {v}.", "عيطو على {v} لأي سؤال.", "tsel bia f {v}"],
    "EMAIL": ["Écrivez-nous à {v} pour toute réclamation.", "راسلونا على {v}"],
    "RIB": ["Virement au RIB {v} avant la fin du mois.", "الحساب البنكي RIB {v}"],
    "IBAN": ["IBAN du bénéficiaire : {v}.", "رقم IBAN {v}"],
    "ICE": ["Société enregistrée sous l'ICE {v}.", "المعرف الموحد للمقاولة ICE {v}"],
    "CIN": ["Titulaire de la CIN {v}, né à Agadir.", "رقم البطاقة الوطنية {v}"],
}
NAMES = ["karim.alaoui", "fatima.zahra", "y.benali", "contact", "s.ouchen", "info.rh"]
DOMAINS = ["example.ma", "menara.ma", "gmail.com", "univ-agadir.ac.ma"]


@dataclass
class Doc:
    """A document under construction: paragraphs of sentences, plus its truth."""

    id: str
    language: str
    paragraphs: list[list[str]]
    kind: str = "original"
    group: str | None = None
    code_switched: str | None = None
    pii: list[tuple[str, str]] = field(default_factory=list)  # (type, value)
    header: str | None = None
    footer: str | None = None
    switched_par: int | None = None

    def dominant(self) -> str:
        """The language with most characters (a switched paragraph can outweigh the rest)."""
        if self.switched_par is None or self.code_switched is None:
            return self.language
        other = sum(len(s) for s in self.paragraphs[self.switched_par])
        total = sum(len(s) for p in self.paragraphs for s in p)
        return self.code_switched if other > total - other else self.language

    def render(self) -> str:
        body = "\n".join(" ".join(p) for p in self.paragraphs)
        parts = [x for x in (self.header, body, self.footer) if x]
        return "\n".join(parts)


def load_pool() -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {}
    for line in LID_DEV.read_text(encoding="utf-8").splitlines():
        label, text = line.split("\t", 1)
        pool.setdefault(label, []).append(text.strip())
    return pool


def paragraphs(rng: random.Random, pool: list[str], n_par: int) -> list[list[str]]:
    sents = rng.sample(pool, min(len(pool), n_par * 4))
    return [sents[i : i + 4] for i in range(0, len(sents), 4)]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def pii_value(rng: random.Random, kind: str) -> str:
    """A valid value of ``kind`` (check digits right), in a usual written form."""
    if kind == "PHONE":
        nsn = rng.choice("67") + _digits(rng, 8)
        pairs = " ".join(nsn[i : i + 2] for i in range(1, 9, 2))
        return rng.choice([f"0{nsn}", f"0{nsn[0]} {pairs}", f"+212 {nsn[0]} {pairs}"])
    if kind == "EMAIL":
        return f"{rng.choice(NAMES)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"
    if kind == "RIB":
        head = _digits(rng, 22)
        return f"{head}{rib_key(head):02d}"
    if kind == "IBAN":
        bban = _digits(rng, 22)
        bban += f"{rib_key(bban):02d}"
        check = 98 - int(bban + "2210" + "00") % 97  # M=22, A=10
        compact = f"MA{check:02d}{bban}"
        return " ".join(compact[i : i + 4] for i in range(0, 28, 4))
    if kind == "ICE":
        return f"{rng.randint(10**11, (10**15 - 1) // 97) * 97:015d}"
    if kind == "CIN":
        return rng.choice(["AB", "BE", "J", "JK", "EE", "X"]) + _digits(rng, 6)
    raise ValueError(kind)


def plant_pii(rng: random.Random, doc: Doc) -> None:
    """Insert one or two PII sentences into random paragraphs (script-matching template)."""
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.choice(list(PII_TEMPLATES))
        value = pii_value(rng, kind)
        arabic = doc.language.endswith("Arab")
        templates = PII_TEMPLATES[kind]
        template = templates[1] if arabic and len(templates) > 1 else templates[0]
        if doc.language == "ary_Latn" and kind == "PHONE":
            template = templates[2]
        par = rng.choice(doc.paragraphs)
        par.insert(rng.randint(0, len(par)), template.format(v=value))
        doc.pii.append((kind, value))


def near_copy(rng: random.Random, src: Doc, new_id: str) -> Doc:
    """A near-duplicate: word edits, a sentence swap, or a site header/footer."""
    pars = [list(p) for p in src.paragraphs]
    how = rng.choice(["edit", "reorder", "boilerplate"])
    if how == "edit":
        for p in pars:
            i = rng.randrange(len(p))
            if any(c.isdigit() or c == "@" for c in p[i]):
                continue
            words = p[i].split()
            j = rng.randrange(len(words))
            if rng.random() < 0.5:
                del words[j]
            else:
                words.insert(j, rng.choice(["و", "et", "o", "ⴷ", "ya"]))
            p[i] = " ".join(w for w in words if w)
    elif how == "reorder":
        p = rng.choice([p for p in pars if len(p) > 1] or pars)
        if len(p) > 1:
            i = rng.randrange(len(p) - 1)
            p[i], p[i + 1] = p[i + 1], p[i]
    return Doc(
        new_id,
        src.language,
        pars,
        kind=f"near_{how}",
        group=src.group,
        code_switched=src.code_switched,
        pii=list(src.pii),
        switched_par=src.switched_par,
        header=rng.choice(HEADERS) if how == "boilerplate" else src.header,
        footer=rng.choice(FOOTERS) if how == "boilerplate" else src.footer,
    )


def junk(rng: random.Random, doc_id: str) -> Doc:
    lines = [rng.choice(JUNK_LINES) for _ in range(rng.randint(4, 12))]
    return Doc(doc_id, "junk", [[x] for x in lines], kind="junk")


def generate(n_docs: int, seed: int) -> list[Doc]:
    """``n_docs`` documents in generation order (originals, copies and junk interleaved)."""
    rng = random.Random(seed)
    pool = load_pool()
    langs, weights = list(WEIGHTS), list(WEIGHTS.values())
    docs: list[Doc] = []
    originals: list[Doc] = []
    n = 0
    while len(docs) < n_docs:
        doc_id = f"d{n:07d}"
        n += 1
        r = rng.random()
        if r < 0.03:
            docs.append(junk(rng, doc_id))
            continue
        if r < 0.12 and originals:
            src = rng.choice(originals)
            if src.group is None:
                src.group = f"g{src.id}"
            if rng.random() < 0.4:
                copy = Doc(doc_id, src.language, [list(p) for p in src.paragraphs], "exact")
                copy.group, copy.code_switched, copy.pii = src.group, src.code_switched, src.pii
                copy.header, copy.footer = src.header, src.footer
                copy.switched_par = src.switched_par
                docs.append(copy)
            else:
                docs.append(near_copy(rng, src, doc_id))
            continue
        lang = rng.choices(langs, weights)[0]
        doc = Doc(doc_id, lang, paragraphs(rng, pool[lang], rng.randint(3, 6)))
        if lang in SWITCH and rng.random() < 0.2:
            other = rng.choice([SWITCH[lang], "ary_Latn" if lang == "ary_Arab" else "ary_Arab"])
            doc.switched_par = rng.randrange(len(doc.paragraphs))
            doc.paragraphs[doc.switched_par] = rng.sample(pool[other], 2)
            doc.code_switched = other
        if rng.random() < 0.12:
            plant_pii(rng, doc)
        docs.append(doc)
        originals.append(doc)
    return docs


def truth_row(doc: Doc, text: str, file: str, encoding: str) -> dict[str, Any]:
    spans = []
    for kind, value in doc.pii:
        start = text.find(value)
        spans.append({"type": kind, "value": value, "start": start, "end": start + len(value)})
    return {
        "id": doc.id,
        "language": doc.dominant(),
        "written_as": doc.language,
        "kind": doc.kind,
        "group": doc.group,
        "code_switched": doc.code_switched,
        "pii": spans,
        "file": file,
        "encoding": encoding,
    }


def write(docs: list[Doc], out: Path, n_files: int, seed: int) -> dict[str, int]:
    """Shuffle docs over ``n_files`` JSONL files, add bad lines; write truth.jsonl."""
    rng = random.Random(seed + 1)
    folder = out / "jsonl"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.jsonl"):
        old.unlink()
    order = list(range(len(docs)))
    rng.shuffle(order)
    files: list[list[bytes]] = [[] for _ in range(n_files)]
    counts = {"docs": len(docs), "malformed_json": 0, "cp1256": 0, "latin1": 0}
    truth = []
    for k, i in enumerate(order):
        doc, f = docs[i], k % n_files
        text = doc.render()
        row = {"id": doc.id, "text": text, "url": f"https://site{rng.randint(1, 50)}.ma/{doc.id}"}
        line = json.dumps(row, ensure_ascii=False)
        encoding = "utf-8"
        if rng.random() < 0.01:
            legacy = "cp1256" if doc.language.endswith("Arab") else "latin-1"
            try:
                raw = line.encode(legacy)
                encoding = legacy
                counts["cp1256" if legacy == "cp1256" else "latin1"] += 1
            except UnicodeEncodeError:
                raw = line.encode("utf-8")
        else:
            raw = line.encode("utf-8")
        files[f].append(raw)
        truth.append(truth_row(doc, text, f"part-{f:04d}.jsonl", encoding))
        if rng.random() < 0.005:
            files[f].append(b'{"id": "broken", "text": "unterminated')
            counts["malformed_json"] += 1
    for f, lines in enumerate(files):
        (folder / f"part-{f:04d}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with (out / "truth.jsonl").open("w", encoding="utf-8") as fh:
        for row in sorted(truth, key=lambda r: r["id"]):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return counts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--out", type=Path, default=Path("bench/out/messy"))
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    counts = write(generate(args.docs, args.seed), args.out, args.files, args.seed)
    print(json.dumps({"out": str(args.out), **counts}))


if __name__ == "__main__":
    main()
