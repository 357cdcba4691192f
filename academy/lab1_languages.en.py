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
# # Lab 1 — Morocco's languages in text
#
# **Goal.** See how Moroccans write — Darija in Arabic script and in Latin script
# ("Arabizi", with digits for sounds: `3` = ع, `7` = ح, `9` = ق), Modern Standard Arabic,
# French, Tamazight in Tifinagh — then run Agadir's language identifier (LID), train a small
# one yourself on a subset of the shared data, read its confusion matrix, and watch it fail on
# a source it never saw.
#
# Data: `../shared/data/lid` (12 labels, CC-BY-SA and other open licences, see its
# `SOURCES.md`). Nothing is downloaded. About 3 minutes on 2 cores (two small trainings).

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
# ## 1. Scripts
#
# One line per label, then the share of letters in each script. Darija appears twice
# (`ary_Arab`, `ary_Latn`); Tamazight in Tifinagh (`zgh_Tfng`) shares its script with
# Tamasheq (`taq_Tfng`); Algerian (`arq_Arab`) and Egyptian (`arz_Arab`) are the confusable
# neighbours of Darija.


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
# ## 2. Arabizi: digits as letters
#
# How many Arabizi lines use `2 3 5 7 8 9` as letters? And what does Agadir's transliterator
# make of them (`agadir lang translit`: Arabizi → Arabic script, Tifinagh → Latin, IRCAM)?

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
# ## 3. Run the packaged LID
#
# `agadir lang id` gives the top labels with calibrated probabilities. Then the same model
# in Python (`agadir.lang.identify_batch`) on the whole dev split.

# %%
ids = lab.cli("lang", "id", str(samples), "--format", "json", "--k", "2")
cli_labels = [json.loads(line)["labels"][0]["label"] for line in ids.stdout.splitlines()]
packaged = [r[0][0] for r in identify_batch(dev.texts, k=1)]
packaged_f1 = f1_report(dev.labels, packaged)
print(f"packaged model, dev macro-F1 {packaged_f1['macro']:.3f}")

# %% [markdown]
# ## 4. Train a small LID on a subset
#
# The shipped model is trained by `scripts/train_lid.py` on all 30,849 training lines (plus
# generated short crops): ~15 CPU-minutes. We call the same training code on **200 lines per
# label**, with a smaller hash space (2^16 buckets) and fewer optimiser steps: same features
# (character 1–5-grams, words, marker words, FineWeb-2 web word lists), same model (logistic
# regression + naive Bayes).

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
# ## 5. The confusion matrix
#
# Rows are the truth, columns the prediction. The diagonal is what the model gets right;
# everything else is a confusion, and the interesting ones are between neighbours: Darija and
# MSA, Darija and Algerian, Tamazight and Tamasheq.

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
# ## 6. Where it fails: a source it never saw
#
# Dev lines come from the same sources as train lines, so a dev score flatters the model.
# MSA (`arb_Arab`) has two sources: XQuAD (Wikipedia paragraphs and questions) and UD
# Arabic-PUD (news and Wikipedia sentences translated from English). We train again without
# any UD-PUD line and test on UD-PUD's dev lines: what the model learned as "MSA" was partly
# "XQuAD". Most lost lines become Darija: our Darija lines (NLLB-Seed) are themselves
# translated Wikipedia sentences, so a model can learn topic and style instead of language.

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
# ## Checks

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
# ## What you learned
#
# - Moroccan text mixes three scripts, and Darija is written in two of them; Arabizi uses
#   digits as letters.
# - The LID is a linear model over character n-grams and words; a few hundred lines per label
#   already give a usable model, the full data a better one.
# - A confusion matrix shows *which* languages are confused: neighbours, not strangers.
# - Scores on a split of the same sources overstate quality; leaving a source out shows how
#   the model behaves on text from elsewhere.
#
# ## Exercises
#
# 1. Train the small model with 50 and 800 lines per label. How does dev macro-F1 change, and
#    which labels gain most?
# 2. Leave out `xquad-ar` instead of `ud-ar-pud`. Is the drop as large? Why might it differ?
# 3. Find three Darija (`ary_Arab`) dev lines the packaged model labels `arb_Arab`. What do
#    they have in common?
#
# Solutions: [solutions/lab1_languages.md](solutions/lab1_languages.md).
