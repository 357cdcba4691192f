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
# # Lab 2 — Tokenizers and fertility
#
# **Goal.** See why the same sentence costs several times more tokens in Tifinagh than in
# English, measure it (*fertility*: tokens per word and per character) with
# `agadir lang fertility` and its Python API, then extend the packaged SmolLM2 tokenizer for
# Tamazight (`zgh_Tfng`) with `agadir tokenizer extend` and prove what the extension keeps:
# every old token id, and the exact tokens of every text that has no Tifinagh in it.
#
# Why it matters: a model reads, pays and remembers in tokens. Three times more tokens for
# the same sentence is three times the compute, a context window three times shorter, and
# words the model sees as rows of bytes rather than units it can learn.
#
# Data: `../shared/data` (LID and NLLB-Seed parallel lines, CC BY-SA 4.0 and other open
# licences, see `SOURCES.md`). No server, nothing downloaded. About 1 minute on 2 cores.

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
# ## 1. One sentence, three scripts
#
# SmolLM2's tokenizer is a *byte-level BPE*: text is turned into UTF-8 bytes, then merges
# learned on its training data (mostly English and code) glue frequent byte sequences into
# tokens. A Tifinagh letter is 3 bytes in UTF-8, and almost no merge was ever learned for
# them: a Tifinagh word falls apart into bytes. Below, the same NLLB-Seed sentence in
# English, Darija (Arabic script) and Tamazight (Tifinagh), and the word ⴰⵎⴰⵣⵉⵖ (*amazigh*)
# cut into its tokens (`�` is a token that holds part of a character).

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
# ## 2. Measure it: `agadir lang fertility`
#
# The command audits several tokenizers at once — Mistral's v1 and v3 SentencePiece, Tekken,
# and the packaged SmolLM2 GGUF — on the shared parallel dev sets. Each cell is *tokens per
# word (tokens per character)*. Read the `zgh_Tfng` column against `eng_Latn`: the NLLB-Seed
# rows are the same sentences in both.

# %%
lab.cli("lang", "fertility", "--data", str(data), "--out-md", str(folder / "fertility.md"))

# %% [markdown]
# The same numbers are a Python call away: `measure(texts, count_tokens)` adds up tokens,
# words and characters. Here on the LID dev lines, every label, with SmolLM2 — including
# Tamasheq in Tifinagh (`taq_Tfng`), a neighbour that shares the script.


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
# ## 3. Extend the tokenizer for Tifinagh
#
# `agadir tokenizer extend` continues BPE where SmolLM2 stopped: it learns new merges on
# *our* Tamazight text, starting from SmolLM2's own merges and byte alphabet, and only
# merges whose bytes belong to the target script. We learn 300 merges on the LID *train*
# lines (the dev lines stay unseen, to measure on), and write the tokenizer alone
# (`--tokenizer-only`): without it, the command also writes the model with the new
# embedding rows initialised (exercise 2).

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
# ## 4. What the extension must keep
#
# A model trained with the old tokenizer knows its ids: token 1234 must still mean the same
# text, or every embedding row is shuffled. And a text with no Tifinagh must be cut exactly
# as before, or the model's English, French and Arabic change under our feet. Both are
# checked here on the whole vocabulary and on every non-Tifinagh dev line. The command
# printed the one documented exception: Georgian Nuskhuri (U+2D00-U+2D2F) shares its first two
# UTF-8 bytes with Tifinagh, so its tokens may change (no dev line holds it).

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
# ## 5. Fertility before and after
#
# Measured on the dev lines, which the merges never saw. Tamasheq (`taq_Tfng`) gains too:
# it shares letters and many words with Tamazight — but it was not the target, so expect a
# smaller gain.

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
# ## Checks

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
# ## What you learned
#
# - A byte-level BPE tokenizer cuts a script it never learned into bytes: Tifinagh costs
#   SmolLM2 several times the tokens of English for the same sentences.
# - Fertility (tokens per word, per character) is measured with `agadir lang fertility` or
#   `agadir.lang.fertility.measure` — on parallel text when you compare languages.
# - `agadir tokenizer extend` adds merges for a target script only: old ids keep their
#   meaning and text without that script is tokenized exactly as before.
# - New tokens are only useful once the model learns their rows (lab 5 trains a model;
#   `docs/languages.md` shows the two-stage recipe for an extended tokenizer).
#
# ## Exercises
#
# 1. Extend with 1,000 merges instead of 300. How much more does `zgh_Tfng` gain? Plot
#    tokens per character against the number of merges (100, 300, 1,000).
# 2. Run the extension without `--tokenizer-only`. Load the model with `transformers` and
#    check that the row of one new token is the mean of the rows of its old pieces.
# 3. Extend for `ary_Arab` instead (on the Darija train lines). Which other label's tokens
#    change, and why is that a risk for the model's Standard Arabic?
#
# Solutions: [solutions/lab2_tokenizers.md](solutions/lab2_tokenizers.md).
