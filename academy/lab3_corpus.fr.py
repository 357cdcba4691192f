# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 3 — Construire un corpus
#
# **Objectif.** Transformer un dossier en désordre en corpus d'entraînement propre avec
# `agadir corpus build` (un pipeline [datatrove](https://github.com/huggingface/datatrove)),
# lire la fiche de données (*datacard*) qu'il écrit, et expliquer chaque décision des filtres
# sur des documents plantés exprès.
#
# Les vraies collections sont en désordre : autres langues, copies et quasi-copies, menus et
# bandeaux de cookies, numéros de téléphone, lignes JSON cassées, fichiers dans d'anciens
# encodages. Nous générons un tel dossier à partir des phrases de développement du LID, en
# *sachant* ce qu'est chaque document, pour vérifier les décisions une à une. Environ
# 1 minute sur 2 cœurs.

# %%
import gzip
import json
import random
from pathlib import Path

import yaml
from labkit import new_lab, shared_data

lab = new_lab("lab3")
folder = lab.home.parent
rows = (shared_data() / "lid" / "dev.tsv").read_text(encoding="utf-8").splitlines()
pool: dict[str, list[str]] = {}
for row in rows:
    label, text = row.split("\t", 1)
    pool.setdefault(label, []).append(text)
rng = random.Random(2026)


def document(label: str, sentences: int = 12) -> str:
    picked = rng.sample(pool[label], sentences)
    return "\n".join(" ".join(picked[i : i + 4]) for i in range(0, sentences, 4))


# %% [markdown]
# ## 1. Un dossier en désordre, avec sa vérité
#
# Six documents propres dans chacune des cinq langues voulues (darija en écriture arabe et
# latine, arabe standard, français, amazighe en tifinagh), puis les ennuis : un document en
# anglais (langue que la recette ne garde pas), une copie exacte, une quasi-copie (un mot
# inséré par paragraphe), une page de menu, un document avec un numéro de téléphone et une
# adresse e-mail, un document d'un seul mot, une ligne qui n'est pas du JSON et une ligne
# écrite en Windows-1256 au lieu d'UTF-8.

# %%
wanted = ["ary_Arab", "ary_Latn", "arb_Arab", "fra_Latn", "zgh_Tfng"]
docs = [
    {"id": f"{label}-{k}", "text": document(label), "planted": "clean"}
    for label in wanted
    for k in range(6)
]
near = [p.replace(" ", " bzaf ", 1) for p in docs[6]["text"].split("\n")]
menu = "Accueil | Contact | Mentions légales | Connexion"
docs += [
    {"id": "english", "text": document("eng_Latn"), "planted": "other language"},
    {"id": "copy", "text": docs[0]["text"], "planted": "exact copy of ary_Arab-0"},
    {"id": "near-copy", "text": "\n".join(near), "planted": "near copy of ary_Latn-0"},
    {"id": "menu", "text": "\n".join([menu] * 30), "planted": "boilerplate"},
    {
        "id": "contact",
        "text": document("fra_Latn")
        + "\nPour toute question appelez le 06 12 34 56 78 ou écrivez à karim.alaoui@example.ma.",
        "planted": "personal data",
    },
    {"id": "salam", "text": "salam", "planted": "one word"},
]
inputs = folder / "messy"
inputs.mkdir()
for part in range(3):
    with (inputs / f"part{part}.jsonl").open("w", encoding="utf-8") as out:
        for doc in docs[part::3]:
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
legacy = {"id": "legacy", "text": document("ary_Arab"), "planted": "Windows-1256"}
with (inputs / "part0.jsonl").open("ab") as out:
    out.write(b"{this is not json\n")
    out.write(json.dumps(legacy, ensure_ascii=False).encode("cp1256", "replace") + b"\n")
truth = {doc["id"]: doc["planted"] for doc in [*docs, legacy]}
print(f"{len(truth)} documents in {len(list(inputs.iterdir()))} files, plus one broken line")

# %% [markdown]
# ## 2. La recette
#
# Une recette nomme les entrées (avec leur licence et le consentement), les langues à garder,
# la politique de données personnelles, les seuils de qualité (ceux de FineWeb-2, par langue)
# et la déduplication. Une clé inconnue est une erreur : une faute de frappe ne peut pas
# désactiver un filtre en silence.

# %%
recipe = {
    "name": "lab3",
    "inputs": [
        {
            "name": "messy",
            "path": str(inputs),
            "format": "jsonl",
            "licence": "CC-BY-SA-4.0",
            "consent": True,
        }
    ],
    "languages": wanted,
    "min_language_score": 0.5,
    "pii": "mask",
    "quality": {"fineweb2_dir": str(shared_data() / "fineweb2")},
    "dedup": {"exact": True, "minhash": True},
    "output": {"path": str(folder / "corpus")},
    "tasks": 2,
}
recipe_file = folder / "recipe.yaml"
recipe_file.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
print(recipe_file.read_text())

# %% [markdown]
# ## 3. Construire
#
# Étapes : lecture (lignes invalides signalées, jamais de plantage) → normalisation →
# identification de la langue → données personnelles → qualité par langue → déduplication
# exacte → quasi-doublons (MinHash) → écriture. Relancer après un plantage ne refait que les
# tâches inachevées.

# %%
build = lab.cli("corpus", "build", str(recipe_file))
corpus = folder / "corpus"
inspect = lab.cli("corpus", "inspect", str(corpus), "--samples", "1")

# %% [markdown]
# ## 4. Lire la fiche de données
#
# `datacard.md` est pour les personnes, `datacard.json` pour les programmes : documents par
# langue à chaque étape, ce qui a été retiré et pourquoi, licences, données personnelles
# (comptées par type, jamais les valeurs), entrées invalides.

# %%
card = json.loads((corpus / "datacard.json").read_text())
print((corpus / "datacard.md").read_text()[:1800])
print("removed:", card["removed"])
print("pii:", card["pii"], "| bad input:", card["bad_input"])

# %% [markdown]
# ## 5. Expliquer chaque décision
#
# Les documents gardés sont sous `data/<langue>/` ; les retirés sous `removed/<étape>/`, avec
# la raison dans `metadata.filter_reason` quand l'étape en donne une. On les relit tous et on
# met chaque document planté en face de son sort.


# %%
def read_docs(path: Path) -> list[dict]:
    found = []
    for file in sorted(path.rglob("*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as fh:
            found += [json.loads(line) for line in fh]
    return found


fate = {}
for doc in read_docs(corpus / "data"):
    fate[doc["id"]] = ("kept", doc["metadata"]["language"], "")
for step in sorted(p.name for p in (corpus / "removed").iterdir()):
    for doc in read_docs(corpus / "removed" / step):
        reason = doc["metadata"].get("filter_reason") or step
        fate[doc["id"]] = ("removed", step, reason)
for doc_id, planted in truth.items():
    outcome = fate.get(doc_id, ("not read", "", ""))
    if planted != "clean" or outcome[0] != "kept":
        print(f"{doc_id:12} {planted:26} -> {' '.join(outcome)}")
clean_kept = sum(fate.get(i, ("",))[0] == "kept" for i, p in truth.items() if p == "clean")
print(f"clean documents kept: {clean_kept}/{sum(p == 'clean' for p in truth.values())}")

# %% [markdown]
# Pourquoi la page de menu est partie : les réglages FineWeb-2 du français retirent un
# document quand plus de `dup_line_frac` de ses lignes répètent d'autres lignes (le
# remplissage des sites web). On recalcule la part nous-mêmes et on la compare au seuil
# qu'a utilisé le pipeline.

# %%
fineweb_fr = yaml.safe_load((shared_data() / "fineweb2" / "configs" / "fra_Latn.yml").read_text())
lines = docs[-3]["text"].split("\n")
seen: set[str] = set()
repeated = 0
for line in lines:
    repeated += line in seen
    seen.add(line)
print(f"menu page: {repeated}/{len(lines)} repeated lines = {repeated / len(lines):.2f}")
print(f"threshold dup_line_frac for fra_Latn: {fineweb_fr['dup_line_frac']}")
contact = next(d for d in read_docs(corpus / "data") if d["id"] == "contact")
print("contact, as kept:", contact["text"].splitlines()[-1])

# %% [markdown]
# ## Vérifications

# %%
assert clean_kept == 30
assert fate["english"][1] == "lid" and "eng_Latn" in fate["english"][2]
assert fate["salam"][0] == "removed"
assert fate["copy"][:2] == ("removed", "exact")
assert fate["near-copy"][:2] == ("removed", "near")
assert fate["menu"][:2] == ("removed", "quality") and "dup_line_frac" in fate["menu"][2]
assert repeated / len(lines) > fineweb_fr["dup_line_frac"]
assert (
    fate["contact"][0] == "kept" and "[PHONE]" in contact["text"] and "[EMAIL]" in contact["text"]
)
assert "06 12 34" not in contact["text"] and card["pii"]["PHONE"] >= 1
assert card["bad_input"]["malformed_json"] >= 1 and card["bad_input"]["decoded_as_cp1256"] == 1
assert fate["legacy"] == ("kept", "ary_Arab", "")
assert sum(v["docs"] for v in card["final"].values()) == len(read_docs(corpus / "data"))
print("lab 3: all checks passed")

# %% [markdown]
# ## Ce que vous avez appris
#
# - Une recette est un fichier que l'on relit : entrées avec licence et consentement, langues,
#   politique de données personnelles, seuils de qualité, déduplication.
# - Chaque document retiré garde sa raison (`removed/<étape>/`), chaque ligne invalide son
#   fichier et son numéro (`issues/`), et la fiche de données en fait la somme.
# - Chaque décision se vérifie à la main : l'étiquette et le score du LID, la statistique de
#   qualité face à son seuil, la copie qu'elle dupliquait.
#
# ## Exercices
#
# 1. Ajoutez `eng_Latn` à `languages` et reconstruisez dans un nouveau dossier de sortie.
#    Qu'est-ce qui change dans la fiche ?
# 2. Mettez `pii: drop`. Où va le document `contact`, et pourquoi n'est-il pas gardé sous
#    `removed/` ?
# 3. Rendez la quasi-copie moins semblable (un mot inséré dans chaque phrase, pas dans chaque
#    paragraphe). À partir de quand MinHash cesse-t-il d'y voir un doublon ?
#
# Solutions : [solutions/lab3_corpus.md](solutions/lab3_corpus.md).
