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
# # Lab 2 — Tokeniseurs et fertilité
#
# **Objectif.** Voir pourquoi la même phrase coûte plusieurs fois plus de jetons en tifinagh
# qu'en anglais, le mesurer (la *fertilité* : jetons par mot et par caractère) avec
# `agadir lang fertility` et son API Python, puis étendre le tokeniseur de SmolLM2 livré avec
# Agadir pour le tamazight (`zgh_Tfng`) avec `agadir tokenizer extend`, et prouver ce que
# l'extension conserve : chaque identifiant de jeton existant, et les jetons exacts de tout
# texte sans tifinagh.
#
# Pourquoi c'est important : un modèle lit, coûte et retient en jetons. Trois fois plus de
# jetons pour la même phrase, c'est trois fois plus de calcul, une fenêtre de contexte trois
# fois plus courte, et des mots que le modèle voit comme des suites d'octets plutôt que comme
# des unités qu'il peut apprendre.
#
# Données : `../shared/data` (lignes LID et parallèles NLLB-Seed, CC BY-SA 4.0 et autres
# licences ouvertes, voir `SOURCES.md`). Pas de serveur, rien n'est téléchargé. Environ
# 1 minute sur 2 cœurs.

# %%
import json
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from labkit import new_lab, shared_data
from transformers import AutoTokenizer

from agadir.lang.fertility import fertility_grid, measure
from agadir.lang.fertility_sources import default_gguf, parallel_corpora

lab = new_lab("lab2")
folder = lab.home.parent
data = shared_data()


def lid_lines(split: str) -> dict[str, list[str]]:
    """LID lines by label: `label<TAB>text`, one a line, no quoting."""
    by_label = defaultdict(list)
    with (data / "lid" / f"{split}.tsv").open(encoding="utf-8") as fh:
        for row in fh:
            label, text = row.rstrip("\n").split("\t", 1)
            by_label[label].append(text)
    return dict(by_label)


train, dev = lid_lines("train"), lid_lines("dev")
gguf = default_gguf()
base = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
print(f"SmolLM2 tokenizer from {gguf.name}: {len(base):,} tokens")

# %% [markdown]
# ## 1. Une phrase, trois écritures
#
# Le tokeniseur de SmolLM2 est un *BPE au niveau des octets* : le texte devient des octets
# UTF-8, puis des fusions apprises sur ses données d'entraînement (surtout de l'anglais et du
# code) collent les suites d'octets fréquentes en jetons. Une lettre tifinagh fait 3 octets en
# UTF-8, et presque aucune fusion n'a été apprise pour elles : un mot en tifinagh tombe en
# octets. Ci-dessous, la même phrase NLLB-Seed en anglais, en darija (écriture arabe) et en
# tamazight (tifinagh), puis le mot ⴰⵎⴰⵣⵉⵖ (*amazigh*) découpé en jetons (`�` est un jeton
# qui ne contient qu'une partie d'un caractère).

# %%
seed = parallel_corpora(data)
for lang in ("eng_Latn", "ary_Arab", "zgh_Tfng"):
    text = seed[lang][0]
    n = len(base.encode(text, add_special_tokens=False))
    print(f"{lang}: {n:3} tokens, {len(text):3} characters  {text[:70]}")
word = "ⴰⵎⴰⵣⵉⵖ"
word_ids = base.encode(word, add_special_tokens=False)
print(f"\n{word}: {len(word.encode())} bytes, {len(word_ids)} tokens:")
print([base.decode([i]) for i in word_ids])

# %% [markdown]
# ## 2. Le mesurer : `agadir lang fertility`
#
# La commande audite plusieurs tokeniseurs à la fois — SentencePiece v1 et v3 de Mistral,
# Tekken, et le GGUF SmolLM2 livré — sur les jeux parallèles de dev partagés. Chaque case donne
# *jetons par mot (jetons par caractère)*. Comparez la colonne `zgh_Tfng` à `eng_Latn` : les
# lignes NLLB-Seed sont les mêmes phrases dans les deux.

# %%
lab.cli("lang", "fertility", "--data", str(data), "--out-md", str(folder / "fertility.md"))

# %% [markdown]
# Les mêmes chiffres sont à un appel Python : `measure(textes, compter_jetons)` additionne
# jetons, mots et caractères. Ici sur les lignes de dev de la LID, pour chaque étiquette, avec
# SmolLM2 — y compris le tamasheq en tifinagh (`taq_Tfng`), un voisin qui partage l'écriture.


# %%
def count_with(tokenizer):
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False))


before = {label: measure(lines, count_with(base)) for label, lines in sorted(dev.items())}
for label, f in before.items():
    print(f"{label:9} {f.per_word:5.2f} tokens/word  {f.per_char:4.2f} tokens/char")
same_sentences = fertility_grid({"smollm2": count_with(base)}, seed)["smollm2"]
cost = same_sentences["zgh_Tfng"].tokens / same_sentences["eng_Latn"].tokens
print(f"\nthe same {len(seed['eng_Latn'])} sentences cost {cost:.1f}x more tokens in Tifinagh")

# %% [markdown]
# ## 3. Étendre le tokeniseur pour le tifinagh
#
# `agadir tokenizer extend` reprend le BPE là où SmolLM2 s'est arrêté : il apprend de nouvelles
# fusions sur *notre* texte tamazight, en partant des fusions et de l'alphabet d'octets de
# SmolLM2, et seulement des fusions dont les octets appartiennent à l'écriture cible. Nous
# apprenons 300 fusions sur les lignes LID d'*entraînement* (les lignes de dev restent
# inconnues, pour mesurer dessus), et n'écrivons que le tokeniseur (`--tokenizer-only`) : sans
# cette option, la commande écrit aussi le modèle avec ses nouvelles lignes d'embedding
# initialisées (exercice 2).

# %%
corpus = folder / "zgh_Tfng.txt"
corpus.write_text("\n".join(train["zgh_Tfng"]) + "\n", encoding="utf-8")
extended_dir = folder / "smollm2-tfng"
lab.cli(
    "tokenizer", "extend", "--corpus", str(corpus), "--target", "zgh_Tfng",
    "--merges", "300", "--tokenizer-only", "--output", str(extended_dir),
)  # fmt: skip
marker = json.loads((extended_dir / "agadir_extension.json").read_text())
extended = AutoTokenizer.from_pretrained(str(extended_dir))
print(json.dumps(marker, indent=2))

# %% [markdown]
# ## 4. Ce que l'extension doit conserver
#
# Un modèle entraîné avec l'ancien tokeniseur connaît ses identifiants : le jeton 1234 doit
# toujours désigner le même texte, sinon toutes les lignes d'embedding sont mélangées. Et un
# texte sans tifinagh doit être découpé exactement comme avant, sinon l'anglais, le français
# et l'arabe du modèle changent sous nos pieds. Les deux sont vérifiés ici, sur tout le
# vocabulaire et sur chaque ligne de dev sans tifinagh. La commande a affiché la seule
# exception documentée : le géorgien nuskhuri (U+2D00-U+2D2F) partage ses deux premiers octets
# UTF-8 avec le tifinagh, ses jetons peuvent donc changer (aucune ligne de dev n'en contient).

# %%
old_vocab, new_vocab = base.get_vocab(), extended.get_vocab()
moved = [t for t, i in old_vocab.items() if new_vocab.get(t) != i]
new_ids = sorted(i for t, i in new_vocab.items() if t not in old_vocab)
print(f"{len(old_vocab):,} old tokens, {len(moved)} moved; new ids {new_ids[0]}-{new_ids[-1]}")
changed = defaultdict(int)
for label, lines in dev.items():
    if label.endswith("_Tfng"):
        continue
    for line in lines:
        old = base.encode(line, add_special_tokens=False)
        changed[label] += old != extended.encode(line, add_special_tokens=False)
print("non-Tifinagh dev lines tokenized differently:", dict(changed))

# %% [markdown]
# ## 5. La fertilité avant et après
#
# Mesurée sur les lignes de dev, que les fusions n'ont jamais vues. Le tamasheq (`taq_Tfng`)
# y gagne aussi : il partage des lettres et beaucoup de mots avec le tamazight — mais il
# n'était pas la cible, attendez-vous à un gain plus petit.

# %%
after = {label: measure(lines, count_with(extended)) for label, lines in sorted(dev.items())}
for label in ("zgh_Tfng", "taq_Tfng", "ary_Arab", "eng_Latn"):
    drop = 1 - after[label].tokens / before[label].tokens
    print(
        f"{label}: {before[label].per_char:.2f} -> {after[label].per_char:.2f} tokens/char "
        f"({drop:.0%} fewer tokens)"
    )
word_ids_after = extended.encode(word, add_special_tokens=False)
print(f"{word}: {len(word_ids)} -> {len(word_ids_after)} tokens")

labels = list(before)
fig, ax = plt.subplots(figsize=(9, 3.5))
x = range(len(labels))
ax.bar([i - 0.2 for i in x], [before[k].per_char for k in labels], 0.4, label="SmolLM2")
ax.bar([i + 0.2 for i in x], [after[k].per_char for k in labels], 0.4, label="+300 Tfng merges")
ax.set_xticks(list(x), labels, rotation=45, ha="right")
ax.set_ylabel("tokens per character")
ax.legend()
fig.tight_layout()
fig.savefig(folder / "fertility.png", dpi=100)

# %% [markdown]
# ## Vérifications

# %%
assert "zgh_Tfng" in (folder / "fertility.md").read_text()
assert before["zgh_Tfng"].per_char > 2 * before["eng_Latn"].per_char
assert cost > 2, cost
assert marker["base_size"] == len(base) and 0 < marker["new_tokens"] <= 300
assert len(extended) == len(base) + marker["new_tokens"]
assert not moved and new_ids[0] == len(base)
assert sum(changed.values()) == 0, changed
assert after["zgh_Tfng"].tokens < 0.7 * before["zgh_Tfng"].tokens
assert after["taq_Tfng"].tokens < before["taq_Tfng"].tokens
assert len(word_ids_after) < len(word_ids)
assert (folder / "fertility.png").stat().st_size > 5_000
print("lab 2: all checks passed")

# %% [markdown]
# ## Ce que vous avez appris
#
# - Un tokeniseur BPE au niveau des octets découpe en octets une écriture qu'il n'a jamais
#   apprise : le tifinagh coûte à SmolLM2 plusieurs fois les jetons de l'anglais pour les mêmes
#   phrases.
# - La fertilité (jetons par mot, par caractère) se mesure avec `agadir lang fertility` ou
#   `agadir.lang.fertility.measure` — sur du texte parallèle quand on compare des langues.
# - `agadir tokenizer extend` n'ajoute des fusions que pour une écriture cible : les anciens
#   identifiants gardent leur sens et un texte sans cette écriture est découpé exactement comme
#   avant.
# - Les nouveaux jetons ne servent qu'une fois leurs lignes apprises par le modèle (le lab 5
#   entraîne un modèle ; `docs/languages.md` montre la recette en deux étapes pour un
#   tokeniseur étendu).
#
# ## Exercices
#
# 1. Étendez avec 1 000 fusions au lieu de 300. Combien `zgh_Tfng` gagne-t-il de plus ? Tracez
#    les jetons par caractère en fonction du nombre de fusions (100, 300, 1 000).
# 2. Lancez l'extension sans `--tokenizer-only`. Chargez le modèle avec `transformers` et
#    vérifiez que la ligne d'un nouveau jeton est la moyenne des lignes de ses anciens morceaux.
# 3. Étendez plutôt pour `ary_Arab` (sur les lignes d'entraînement en darija). Les jetons de
#    quelle autre étiquette changent, et pourquoi est-ce un risque pour l'arabe standard du
#    modèle ?
#
# Solutions : [solutions/lab2_tokenizers.md](solutions/lab2_tokenizers.md).
