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
# # Lab 1 — Les langues du Maroc à l'écrit
#
# **Objectif.** Voir comment écrivent les Marocains — la darija en écriture arabe et en
# écriture latine (« arabizi », avec des chiffres pour des sons : `3` = ع, `7` = ح, `9` = ق),
# l'arabe standard, le français, l'amazighe en tifinagh —, puis lancer l'identifiant de langue
# (LID) d'Agadir, en entraîner un petit vous-même sur un sous-ensemble des données partagées,
# lire sa matrice de confusion et le voir échouer sur une source qu'il n'a jamais vue.
#
# Données : `../shared/data/lid` (12 étiquettes, CC-BY-SA et autres licences ouvertes, voir
# son `SOURCES.md`). Rien n'est téléchargé. Environ 3 minutes sur 2 cœurs (deux petits
# entraînements).

# %%
import json
import random
import sys
from collections import Counter

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from labkit import REPO, new_lab, shared_data

sys.path.insert(0, str(REPO / "scripts"))
from lid_data import shared_split
from lid_eval import f1_report, predict
from train_lid import parser, to_model, train_model

from agadir.lang import identify_batch
from agadir.lang.labels import LABELS

lab = new_lab("lab1")
out = lab.home.parent
data = shared_data()
train = shared_split(data, "train")
dev = shared_split(data, "dev")
print(f"train {len(train)} lines, dev {len(dev)} lines, labels: {', '.join(LABELS)}")

# %% [markdown]
# ## 1. Les écritures
#
# Une ligne par étiquette, puis la part des lettres de chaque écriture. La darija apparaît
# deux fois (`ary_Arab`, `ary_Latn`) ; l'amazighe en tifinagh (`zgh_Tfng`) partage son
# écriture avec le tamasheq (`taq_Tfng`) ; l'algérien (`arq_Arab`) et l'égyptien (`arz_Arab`)
# sont les voisins que l'on confond avec la darija.


# %%
def script(char: str) -> str:
    code = ord(char)
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F:
        return "Arabic"
    if 0x2D30 <= code <= 0x2D7F:
        return "Tifinagh"
    if (char.isascii() and char.isalpha()) or 0x00C0 <= code <= 0x024F:
        return "Latin"
    return "other" if char.isalpha() else ""


shares = {}
for label in LABELS:
    texts = [t for t, lab_ in zip(dev.texts, dev.labels, strict=True) if lab_ == label]
    counts = Counter(s for t in texts for s in map(script, t) if s)
    total = sum(counts.values())
    shares[label] = {s: counts[s] / total for s in ("Arabic", "Latin", "Tifinagh")}
    print(
        f"{label:9} {texts[0][:60]:62} "
        + " ".join(f"{s[:3]} {v:4.0%}" for s, v in shares[label].items())
    )

# %% [markdown]
# ## 2. L'arabizi : des chiffres comme lettres
#
# Combien de lignes en arabizi utilisent `2 3 5 7 8 9` comme lettres ? Et qu'en fait le
# translittérateur d'Agadir (`agadir lang translit` : arabizi → écriture arabe, tifinagh →
# latin, table IRCAM) ?

# %%
arabizi = [t for t, lab_ in zip(dev.texts, dev.labels, strict=True) if lab_ == "ary_Latn"]
with_digits = [t for t in arabizi if any(d in t for d in "235789")]
print(f"{len(with_digits)}/{len(arabizi)} Arabizi dev lines use digit-letters")
samples = out / "samples.txt"
samples.write_text(
    "\n".join(
        [
            "wach nta mn agadir?",
            "3afak 3tini chi 7aja nchrbha",
            "ⴰⵣⵓⵍ ⴼⵍⴰⴽ",
            "Je vais au souk demain matin.",
            "واش عندك شي وقت دابا؟",
            "هل تستطيع مساعدتي في هذا الأمر؟",
        ]
    )
    + "\n",
    encoding="utf-8",
)
translit = lab.cli("lang", "translit", str(samples), "--format", "json", quiet=True)
for line in translit.stdout.splitlines():
    row = json.loads(line)
    print(f"{row['text']:36} -> {row['candidates'][0]['text']}")

# %% [markdown]
# ## 3. Lancer le LID livré
#
# `agadir lang id` donne les meilleures étiquettes avec des probabilités calibrées. Puis le
# même modèle en Python (`agadir.lang.identify_batch`) sur tout le jeu de développement.

# %%
ids = lab.cli("lang", "id", str(samples), "--format", "json", "--k", "2")
cli_labels = [json.loads(line)["labels"][0]["label"] for line in ids.stdout.splitlines()]
packaged = [r[0][0] for r in identify_batch(dev.texts, k=1)]
packaged_f1 = f1_report(dev.labels, packaged)
print(f"packaged model, dev macro-F1 {packaged_f1['macro']:.3f}")

# %% [markdown]
# ## 4. Entraîner un petit LID sur un sous-ensemble
#
# Le modèle livré est entraîné par `scripts/train_lid.py` sur les 30 849 lignes
# d'entraînement (plus des extraits courts générés) : ~15 minutes CPU. Nous appelons le même
# code d'entraînement sur **200 lignes par étiquette**, avec un espace de hachage plus petit
# (2^16 cases) et moins d'itérations : mêmes traits (n-grammes de caractères de 1 à 5, mots,
# mots marqueurs, listes de mots du web de FineWeb-2), même modèle (régression logistique +
# Bayes naïf).

# %%
rng = random.Random(1234)


def per_label(rows, n, leave_out=None):
    by_label = {}
    for i, (label, source) in enumerate(zip(rows.labels, rows.sources, strict=True)):
        if source != leave_out:
            by_label.setdefault(label, []).append(i)
    chosen = {i for idx in by_label.values() for i in rng.sample(idx, min(n, len(idx)))}
    return rows.subset([i in chosen for i in range(len(rows))])


settings = parser().parse_args(["--bits", "16", "--iters", "60"])
subset = per_label(train, 200)
small = to_model(*train_model(subset, settings), settings)
small_pred, _ = predict(small, dev.texts)
small_f1 = f1_report(dev.labels, small_pred)
print(f"small model on {len(subset)} lines: dev macro-F1 {small_f1['macro']:.3f}")
for label in LABELS:
    print(f"  {label:9} small {small_f1[label]:.3f}   packaged {packaged_f1[label]:.3f}")

# %% [markdown]
# ## 5. La matrice de confusion
#
# Les lignes sont la vérité, les colonnes la prédiction. La diagonale est ce que le modèle
# réussit ; le reste, ce sont des confusions, et les intéressantes sont entre voisins : darija
# et arabe standard, darija et algérien, amazighe et tamasheq.

# %%
names = [*LABELS, "und"]
matrix = np.zeros((len(LABELS), len(names)), dtype=int)
for gold, guess in zip(dev.labels, small_pred, strict=True):
    matrix[LABELS.index(gold), names.index(guess)] += 1
fig, ax = plt.subplots(figsize=(8, 7))
ax.imshow(matrix / matrix.sum(axis=1, keepdims=True), cmap="Blues")
ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
ax.set_yticks(range(len(LABELS)), LABELS)
for i in range(len(LABELS)):
    for j in range(len(names)):
        if matrix[i, j]:
            ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7)
ax.set_xlabel("predicted")
ax.set_ylabel("truth")
ax.set_title("small LID, dev split")
fig.tight_layout()
png = out / "confusion.png"
fig.savefig(png, dpi=100)
off_diagonal = [
    (int(matrix[i, j]), LABELS[i], names[j])
    for i in range(len(LABELS))
    for j in range(len(names))
    if names[j] != LABELS[i] and matrix[i, j]
]
print("saved", png)
print("largest confusions:", sorted(off_diagonal, reverse=True)[:5])

# %% [markdown]
# ## 6. Où il échoue : une source jamais vue
#
# Les lignes de développement viennent des mêmes sources que celles d'entraînement : le score
# flatte le modèle. L'arabe standard (`arb_Arab`) a deux sources : XQuAD (paragraphes et
# questions de Wikipédia) et UD Arabic-PUD (phrases de presse et de Wikipédia traduites de
# l'anglais). On réentraîne sans aucune ligne UD-PUD et on teste sur les lignes UD-PUD : ce que
# le modèle avait appris comme « arabe standard » était en partie « XQuAD ». La plupart des
# lignes perdues deviennent de la darija : nos lignes de darija (NLLB-Seed) sont elles-mêmes
# des phrases de Wikipédia traduites, si bien qu'un modèle peut apprendre le sujet et le style
# au lieu de la langue.

# %%
loso = to_model(*train_model(per_label(train, 200, leave_out="ud-ar-pud"), settings), settings)
loso_pred, _ = predict(loso, dev.texts)
pud = [i for i, s in enumerate(dev.sources) if s == "ud-ar-pud"]
recall_seen = sum(small_pred[i] == "arb_Arab" for i in pud) / len(pud)
recall_unseen = sum(loso_pred[i] == "arb_Arab" for i in pud) / len(pud)
print(
    f"arb_Arab recall on UD-PUD dev: source seen {recall_seen:.2f}, never seen {recall_unseen:.2f}"
)
print("what the unseen UD-PUD lines became:", Counter(loso_pred[i] for i in pud).most_common(4))
for i in [i for i in pud if loso_pred[i] != "arb_Arab"][:3]:
    print(f"  {loso_pred[i]:9} {dev.texts[i][:80]}")

# %% [markdown]
# ## Vérifications

# %%
assert shares["zgh_Tfng"]["Tifinagh"] > 0.9 and shares["ary_Latn"]["Latin"] > 0.9
assert shares["ary_Arab"]["Arabic"] > 0.9 and len(with_digits) > len(arabizi) / 3
assert cli_labels[0] == "ary_Latn" and cli_labels[2] == "zgh_Tfng" and cli_labels[3] == "fra_Latn"
assert packaged_f1["macro"] > 0.9
assert 0.8 < small_f1["macro"] <= packaged_f1["macro"] + 0.02
assert matrix.sum() == len(dev) and png.stat().st_size > 10_000
assert recall_unseen < recall_seen - 0.1
lab.stop()
print("lab 1: all checks passed")

# %% [markdown]
# ## Ce que vous avez appris
#
# - L'écrit marocain mêle trois écritures, et la darija s'écrit dans deux d'entre elles ;
#   l'arabizi utilise des chiffres comme lettres.
# - Le LID est un modèle linéaire sur des n-grammes de caractères et des mots ; quelques
#   centaines de lignes par étiquette donnent déjà un modèle utilisable, toutes les données un
#   meilleur.
# - Une matrice de confusion montre *quelles* langues sont confondues : des voisines, pas des
#   étrangères.
# - Un score sur une partition des mêmes sources surestime la qualité ; écarter une source
#   montre le comportement du modèle sur un texte venu d'ailleurs.
#
# ## Exercices
#
# 1. Entraînez le petit modèle avec 50 puis 800 lignes par étiquette. Comment évolue le
#    macro-F1, et quelles étiquettes gagnent le plus ?
# 2. Écartez `xquad-ar` au lieu de `ud-ar-pud`. La chute est-elle aussi forte ? Pourquoi
#    pourrait-elle différer ?
# 3. Trouvez trois lignes de darija (`ary_Arab`) que le modèle livré étiquette `arb_Arab`.
#    Qu'ont-elles en commun ?
#
# Solutions : [solutions/lab1_languages.md](solutions/lab1_languages.md).
