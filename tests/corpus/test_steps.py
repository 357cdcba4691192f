"""Unit tests of our datatrove steps, each against what it must and must not do."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from datatrove.data import Document

from agadir.corpus import (
    DarijaPrecision,
    MoroccanLID,
    MoroccanPII,
    PerLanguageQuality,
    Provenance,
    RecipeError,
    SafeReader,
    load_recipe,
    normalize_document_text,
    settings_for,
)
from tests.corpus.conftest import FINEWEB2, make_doc, sentences


def test_normalize_removes_noise_but_keeps_words() -> None:
    text = "ﻣﺮﺣﺒﺎ\u200b  بيك\tفـــالمغرب\r\n\n\n\nSalut   "
    out = normalize_document_text(text)
    assert "\u200b" not in out and "ـ" not in out and "\n\n\n" not in out
    assert out.endswith("Salut") and "  " not in out


def test_lid_labels_and_keeps_only_listed(shared_data: None) -> None:
    pool = sentences()
    docs = [
        Document(text=make_doc(random.Random(1), pool[lab]), id=lab)
        for lab in ("ary_Arab", "fra_Latn", "zgh_Tfng", "eng_Latn")
    ]
    step = MoroccanLID(keep=("ary_Arab", "fra_Latn", "zgh_Tfng"))
    results = step.filter_batch(docs)
    assert [d.metadata["language"] for d in docs] == [
        "ary_Arab",
        "fra_Latn",
        "zgh_Tfng",
        "eng_Latn",
    ]
    assert results[:3] == [True, True, True]
    assert results[3] == (False, "language_not_kept:eng_Latn")
    assert all(0.5 < d.metadata["language_score"] <= 1.0 for d in docs)


def test_pii_masks_and_counts() -> None:
    doc = Document(text="Appelez 0612345678 ou ecrivez a karim@example.ma", id="1")
    step = MoroccanPII("mask")
    assert step.filter(doc) is True
    assert "0612345678" not in doc.text and "[PHONE]" in doc.text and "[EMAIL]" in doc.text
    assert doc.metadata["pii"] == {"EMAIL": 1, "PHONE": 1}
    dropped = Document(text="tel 0612345678", id="2")
    assert MoroccanPII("drop").filter(dropped) == (False, "pii")


def test_provenance_stamps_every_field() -> None:
    doc = Document(text="salam", id="1", metadata={"source": "s", "licence": "CC0-1.0"})
    (out,) = list(Provenance("agadir-x").run(iter([doc])))
    meta = out.metadata
    assert meta["sha256"] == hashlib.sha256(b"salam").hexdigest()
    assert (meta["licence"], meta["consent"], meta["pipeline"]) == ("CC0-1.0", False, "agadir-x")


def test_darija_precision_uses_wordlist_and_url(shared_data: None) -> None:
    step = DarijaPrecision(FINEWEB2 / "wordlists" / "ary_Arab.txt")
    msa = Document(text="ذهب الرجل إلى السوق", id="1", metadata={"language": "ary_Arab"})
    darija = Document(text="واش غادي تمشي للسوق", id="2", metadata={"language": "ary_Arab"})
    url = Document(
        text="ذهب الرجل", id="3", metadata={"language": "ary_Arab", "url": "https://x.ma/a"}
    )
    french = Document(text="bonjour", id="4", metadata={"language": "fra_Latn"})
    assert step.filter(msa) == (False, "darija_precision")
    assert step.filter(darija) is True and step.filter(url) is True and step.filter(french) is True


def test_arabizi_needs_its_own_settings(shared_data: None) -> None:
    """FineWeb-2's ary_Arab config drops all Arabizi; our derived settings keep most of it."""
    rng = random.Random(3)
    pool = sentences()["ary_Latn"]
    docs = [
        Document(text=make_doc(rng, pool, 24), id=str(i), metadata={"language": "ary_Latn"})
        for i in range(30)
    ]
    cfg = FINEWEB2 / "configs"
    borrowed = PerLanguageQuality({"ary_Latn": settings_for("ary_Arab", cfg)}, min_doc_words=20)
    ours = PerLanguageQuality({"ary_Latn": settings_for("ary_Latn", cfg)}, min_doc_words=20)
    kept_borrowed = sum(borrowed.filter(d) is True for d in docs)
    kept_ours = sum(ours.filter(d) is True for d in docs)
    assert kept_borrowed == 0
    assert kept_ours >= 27
    ber = settings_for("ber_Latn", cfg)
    assert {"n", "d", "deg", "ɣ", "lli"} <= set(ber.stopwords)


def test_reader_reports_bad_input_with_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_bytes(
        b'{"text": "ok one"}\n{broken\n{"text": ""}\n["list"]\n'
        + '{"text": "قال"}\n'.encode("cp1256")
        + b'{"nottext": 1}\n'
    )
    (src / "b.jsonl.gz").write_bytes(b"this is not gzip")
    issues = tmp_path / "issues"
    reader = SafeReader(str(src), "jsonl", issues_dir=str(issues))
    docs = list(reader.run(None, 0, 1))
    assert [d.text for d in docs] == ["ok one", "قال"]
    found = [json.loads(x) for f in issues.glob("*.jsonl") for x in f.read_text().splitlines()]
    kinds = {(i["kind"], Path(i["file"]).name, i["line"]) for i in found}
    assert ("malformed_json", "a.jsonl", 2) in kinds
    assert ("empty_document", "a.jsonl", 3) in kinds
    assert ("not_an_object", "a.jsonl", 4) in kinds
    assert ("decoded_as_cp1256", "a.jsonl", 5) in kinds
    assert ("missing_text", "a.jsonl", 6) in kinds
    assert any(k == "unreadable_file" and f == "b.jsonl.gz" for k, f, _ in kinds)


def test_recipe_typo_names_key_and_allowed_values(tmp_path: Path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text(
        "name: x\ninputs: [{name: a, path: ., format: jsonl}]\noutput: {path: o}\ndedupe: {}\n"
    )
    with pytest.raises(RecipeError, match=r"unknown key 'dedupe'; allowed here: .*dedup"):
        load_recipe(bad)
    bad.write_text("name: x\ninputs: [{name: a, path: ., format: jsonx}]\noutput: {path: o}\n")
    with pytest.raises(RecipeError, match=r"inputs.0.format.*'jsonl'"):
        load_recipe(bad)
    bad.write_text(
        "name: x\ninputs: [{name: a, path: ., format: jsonl}]\noutput: {path: o, fromat: x}\n"
    )
    with pytest.raises(
        RecipeError, match=r"unknown key 'output.fromat'; allowed here: format, path"
    ):
        load_recipe(bad)
    bad.write_text(
        "name: x\ninputs: [{name: a, path: ., format: jsonl}]\n"
        "output: {path: o}\nlanguages: [ary]\n"
    )
    with pytest.raises(RecipeError, match=r"unknown language 'ary'; allowed: ary_Arab"):
        load_recipe(bad)


def test_berber_pages_pass_their_quality_settings(shared_data: None) -> None:
    """Hyphenated Kabyle words are one word, and the alpha-word floor is the lower of kab/shi:
    before both fixes every ber_Latn page failed ``gopher_below_alpha_threshold``."""
    from agadir.corpus.quality import load_fineweb2
    from agadir.corpus.words import RegexWordTokenizer

    assert RegexWordTokenizer("ber_Latn").word_tokenize("Ass-a ad nečč.") == [
        "Ass-a",
        "ad",
        "nečč",
        ".",
    ]
    rng = random.Random(5)
    pool = sentences()["ber_Latn"]
    docs = [
        Document(text=make_doc(rng, pool, 24), id=str(i), metadata={"language": "ber_Latn"})
        for i in range(30)
    ]
    cfg = FINEWEB2 / "configs"
    ber = settings_for("ber_Latn", cfg)
    floors = [load_fineweb2(cfg, n).max_non_alpha_words_ratio for n in ("kab_Latn", "shi_Latn")]
    assert ber.max_non_alpha_words_ratio == min(floors)
    quality = PerLanguageQuality({"ber_Latn": ber}, min_doc_words=20)
    assert sum(quality.filter(d) is True for d in docs) >= 27
