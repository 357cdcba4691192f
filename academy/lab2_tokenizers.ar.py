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
# # المختبر 2 — المُجزِّئات والخصوبة
#
# **الهدف.** أن نفهم لماذا تكلّف الجملة نفسها بتيفيناغ أضعاف ما تكلّفه بالإنجليزية من الرموز
# (tokens)، وأن نقيس ذلك (*الخصوبة*: عدد الرموز لكل كلمة ولكل حرف) بالأمر `agadir lang fertility`
# وبواجهته البرمجية في بايثون، ثم نوسّع مُجزِّئ SmolLM2 المرفق بـ Agadir للأمازيغية
# (`zgh_Tfng`) بالأمر `agadir tokenizer extend`، ونثبت ما يحفظه التوسيع: رقم كل رمز قديم،
# والتجزئة نفسها تماماً لكل نص لا تيفيناغ فيه.
#
# لماذا يهمّ هذا؟ النموذج يقرأ ويُحاسَب ويتذكّر بالرموز. ثلاثة أضعاف الرموز للجملة نفسها تعني
# ثلاثة أضعاف الحساب، ونافذة سياق أقصر بثلاث مرات، وكلمات يراها النموذج سلاسل من البايتات لا
# وحدات يستطيع تعلّمها.
#
# البيانات: `../shared/data` (أسطر تعرّف اللغة وأسطر NLLB-Seed المتوازية، بترخيص CC BY-SA 4.0
# وتراخيص مفتوحة أخرى، انظر `SOURCES.md`). لا خادم ولا تنزيل. نحو دقيقة واحدة على نواتين.

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
# ## 1. جملة واحدة بثلاثة خطوط
#
# مُجزِّئ SmolLM2 من نوع *BPE على مستوى البايت*: يتحوّل النص إلى بايتات UTF-8، ثم تلصق عمليات
# دمج تعلّمها من بيانات تدريبه (الإنجليزية والشيفرة أساساً) السلاسل المتكررة في رموز. الحرف
# التيفيناغي ثلاثة بايتات في UTF-8، ولم يُتعلَّم لها تقريباً أي دمج: فتتفتّت الكلمة التيفيناغية
# إلى بايتات. نرى أدناه الجملة نفسها من NLLB-Seed بالإنجليزية وبالدارجة (بالحرف العربي، مثل
# «فين كاينة التعاونية؟») وبالأمازيغية (تيفيناغ)، ثم كلمة ⴰⵎⴰⵣⵉⵖ (*أمازيغ*) مقطّعة إلى رموزها
# (`�` رمز يحمل جزءاً من حرف فقط).

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
# ## 2. القياس: `agadir lang fertility`
#
# يفحص الأمر عدة مُجزِّئات معاً — SentencePiece v1 وv3 من Mistral، وTekken، وملف GGUF لـ SmolLM2
# المرفق — على مجموعات التطوير المتوازية المشتركة. كل خانة تعطي *رموزاً لكل كلمة (رموزاً لكل
# حرف)*. قارن عمود `zgh_Tfng` بعمود `eng_Latn`: أسطر NLLB-Seed هي الجمل نفسها في الاثنين.

# %%
lab.cli("lang", "fertility", "--data", str(data), "--out-md", str(folder / "fertility.md"))

# %% [markdown]
# الأرقام نفسها على بعد استدعاء في بايثون: `measure(texts, count_tokens)` يجمع الرموز والكلمات
# والحروف. نطبّقه هنا على أسطر التطوير لتعرّف اللغة، لكل تسمية، مع SmolLM2 — ومنها التماشقية
# بتيفيناغ (`taq_Tfng`)، الجارة التي تشترك في الخط.


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
# ## 3. توسيع المُجزِّئ لتيفيناغ
#
# يواصل `agadir tokenizer extend` خوارزمية BPE من حيث توقّف SmolLM2: يتعلّم عمليات دمج جديدة على
# نصّنا *نحن* بالأمازيغية، انطلاقاً من عمليات دمج SmolLM2 وأبجدية بايتاته، ولا يقبل إلا دمجاً
# تنتمي بايتاته إلى الخط المستهدف. نتعلّم 300 عملية دمج على أسطر *التدريب* (وتبقى أسطر التطوير
# مجهولة لنقيس عليها)، ولا نكتب إلا المُجزِّئ (`--tokenizer-only`): من دون هذا الخيار يكتب الأمر
# النموذج أيضاً مع تهيئة صفوف التضمين الجديدة (التمرين 2).

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
# ## 4. ما يجب أن يحفظه التوسيع
#
# النموذج المدرَّب بالمُجزِّئ القديم يعرف أرقامه: يجب أن يبقى الرمز 1234 دالاً على النص نفسه،
# وإلا اختلطت كل صفوف التضمين. ويجب أن يُجزَّأ النص الخالي من تيفيناغ كما كان تماماً، وإلا
# تغيّرت إنجليزية النموذج وفرنسيته وعربيته من تحت أقدامنا. نتحقق من الأمرين هنا على المفردات
# كلها وعلى كل سطر تطوير لا تيفيناغ فيه (كالدارجة «wach nta mn agadir?» و«واش نتا من أكادير؟»).
# وقد طبع الأمر الاستثناء الموثَّق الوحيد: الخط الجورجي النوسخوري (U+2D00-U+2D2F) يشترك مع
# تيفيناغ في أول بايتين من UTF-8، فقد تتغير رموزه (ولا يحتويه أي سطر تطوير).

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
# ## 5. الخصوبة قبل التوسيع وبعده
#
# نقيسها على أسطر التطوير التي لم ترها عمليات الدمج قط. تربح التماشقية (`taq_Tfng`) أيضاً لأنها
# تشترك مع الأمازيغية في الحروف وفي كثير من الكلمات — لكنها لم تكن الهدف، فتوقّع ربحاً أصغر.

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
# ## التحقق

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
# ## ما تعلّمته
#
# - مُجزِّئ BPE على مستوى البايت يفتّت إلى بايتات كل خط لم يتعلّمه: تكلّف تيفيناغ SmolLM2 أضعاف
#   رموز الإنجليزية للجمل نفسها.
# - تُقاس الخصوبة (رموز لكل كلمة ولكل حرف) بالأمر `agadir lang fertility` أو بالدالة
#   `agadir.lang.fertility.measure` — وعلى نص متوازٍ حين نقارن بين اللغات.
# - لا يضيف `agadir tokenizer extend` عمليات دمج إلا للخط المستهدف: تحتفظ الأرقام القديمة بمعناها،
#   ويُجزَّأ النص الخالي من هذا الخط كما كان تماماً.
# - لا تنفع الرموز الجديدة إلا بعد أن يتعلّم النموذج صفوفها (المختبر 5 يدرّب نموذجاً، ويعرض
#   `docs/languages.md` وصفة المرحلتين لمُجزِّئ موسَّع).
#
# ## تمارين
#
# 1. وسّع بـ 1000 عملية دمج بدل 300. كم يربح `zgh_Tfng` زيادةً؟ ارسم عدد الرموز لكل حرف بحسب عدد
#    عمليات الدمج (100، 300، 1000).
# 2. شغّل التوسيع من دون `--tokenizer-only`. حمّل النموذج بمكتبة `transformers` وتحقّق من أن صفّ
#    رمز جديد هو متوسط صفوف قطعه القديمة.
# 3. وسّع بدلاً من ذلك لـ `ary_Arab` (على أسطر التدريب بالدارجة، مثل «كنبغي نمشي للسوق»). أيّ
#    تسمية أخرى تتغير رموزها، ولماذا يشكّل ذلك خطراً على عربية النموذج الفصحى؟
#
# الحلول: [solutions/lab2_tokenizers.md](solutions/lab2_tokenizers.md).
