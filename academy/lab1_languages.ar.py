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
# # المختبر 1 — لغات المغرب مكتوبةً
#
# **الهدف.** أن نرى كيف يكتب المغاربة — الدارجة بالحرف العربي وبالحرف اللاتيني («العربيزي»،
# بأرقام مكان بعض الأصوات: `3` = ع، `7` = ح، `9` = ق)، والعربية الفصحى، والفرنسية، والأمازيغية
# بتيفيناغ — ثم نشغّل أداة تعرّف اللغة (LID) في Agadir، وندرّب واحدة صغيرة بأنفسنا على جزء من
# البيانات المشتركة، ونقرأ مصفوفة الالتباس، ونراها تخطئ على مصدر لم تره قط.
#
# البيانات: `../shared/data/lid` (12 تسمية، بترخيص CC-BY-SA وتراخيص مفتوحة أخرى، انظر
# `SOURCES.md`). لا يُنزَّل شيء. نحو 3 دقائق على نواتين (تدريبان صغيران).

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
# ## 1. الخطوط
#
# سطر لكل تسمية، ثم نسبة الحروف من كل خط. تظهر الدارجة مرتين (`ary_Arab` و`ary_Latn`)، مثلاً
# «واش نتا من أكادير؟» و«wach nta mn agadir?»؛ والأمازيغية بتيفيناغ (`zgh_Tfng`) تشترك في خطها
# مع التماشقية (`taq_Tfng`)؛ والجزائرية (`arq_Arab`) والمصرية (`arz_Arab`) جارتان تلتبسان
# بالدارجة.


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
# ## 2. العربيزي: أرقام مكان الحروف
#
# كم سطراً بالعربيزي يستعمل `2 3 5 7 8 9` حروفاً؟ وماذا يصنع بها مُحوِّل الكتابة في Agadir
# (`agadir lang translit`: من العربيزي إلى الحرف العربي، ومن تيفيناغ إلى اللاتيني بجدول
# IRCAM)؟ مثال: «3afak» تصير «عافاك».

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
# ## 3. تشغيل أداة تعرّف اللغة المرفقة
#
# يعطي `agadir lang id` أفضل التسميات مع احتمالات معايَرة. ثم النموذج نفسه في بايثون
# (`agadir.lang.identify_batch`) على كامل مجموعة التطوير.

# %%
ids = lab.cli("lang", "id", str(samples), "--format", "json", "--k", "2")
cli_labels = [json.loads(line)["labels"][0]["label"] for line in ids.stdout.splitlines()]
packaged = [r[0][0] for r in identify_batch(dev.texts, k=1)]
packaged_f1 = f1_report(dev.labels, packaged)
print(f"packaged model, dev macro-F1 {packaged_f1['macro']:.3f}")

# %% [markdown]
# ## 4. تدريب أداة صغيرة على جزء من البيانات
#
# يُدرَّب النموذج المرفق بـ `scripts/train_lid.py` على 30849 سطراً (مع مقاطع قصيرة مولَّدة):
# نحو 15 دقيقة من المعالج. نستدعي شيفرة التدريب نفسها على **200 سطر لكل تسمية**، بفضاء تجزئة
# أصغر (2^16 خانة) وتكرارات أقل: الخصائص نفسها (متتاليات حروف من 1 إلى 5، كلمات، كلمات
# دالّة، قوائم كلمات الويب من FineWeb-2)، والنموذج نفسه (انحدار لوجستي + بايز الساذج).

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
# ## 5. مصفوفة الالتباس
#
# الصفوف هي الحقيقة والأعمدة هي التنبؤ. القطر هو ما يصيبه النموذج، وما عداه التباس، وأهمه بين
# الجيران: الدارجة والفصحى، الدارجة والجزائرية، الأمازيغية والتماشقية.

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
# ## 6. أين تخطئ: مصدر لم تره قط
#
# أسطر التطوير تأتي من مصادر أسطر التدريب نفسها، فتجامل النتيجةُ النموذجَ. للفصحى (`arb_Arab`)
# مصدران: XQuAD (فقرات وأسئلة من ويكيبيديا) وUD Arabic-PUD (جمل أخبار وويكيبيديا مترجمة من
# الإنجليزية). نعيد التدريب دون أي سطر من UD-PUD ونختبر على أسطره: ما تعلّمه النموذج على أنه
# «فصحى» كان جزئياً «XQuAD». ومعظم الأسطر الضائعة تصير دارجة: لأن أسطر الدارجة عندنا (NLLB-Seed)
# هي نفسها جمل ويكيبيديا مترجمة، فقد يتعلم النموذج الموضوع والأسلوب بدل اللغة.

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
# ## التحققات

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
# ## ما تعلّمته
#
# - الكتابة المغربية تمزج ثلاثة خطوط، والدارجة تُكتب باثنين منها؛ والعربيزي يستعمل الأرقام
#   حروفاً.
# - أداة تعرّف اللغة نموذج خطي على متتاليات الحروف والكلمات؛ بضع مئات من الأسطر لكل تسمية
#   تعطي نموذجاً صالحاً، وكل البيانات تعطي أفضل منه.
# - مصفوفة الالتباس تبيّن *أيّ* اللغات تلتبس: الجارات لا الغريبات.
# - النتيجة على تقسيم من المصادر نفسها تبالغ في الجودة؛ واستبعاد مصدر يكشف سلوك النموذج على
#   نص من مكان آخر.
#
# ## تمارين
#
# 1. درّب النموذج الصغير بـ 50 ثم 800 سطر لكل تسمية. كيف يتغير macro-F1، وأيّ التسميات تربح
#    أكثر؟
# 2. استبعد `xquad-ar` بدل `ud-ar-pud`. هل الهبوط بالحجم نفسه؟ ولماذا قد يختلف؟
# 3. جد ثلاثة أسطر دارجة (`ary_Arab`) يسمّيها النموذج المرفق `arb_Arab`. ما المشترك بينها؟
#
# الحلول: [solutions/lab1_languages.md](solutions/lab1_languages.md).
