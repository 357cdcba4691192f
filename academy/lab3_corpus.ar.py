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
# # المختبر 3 — بناء مدوَّنة نصية
#
# **الهدف.** تحويل مجلد فوضوي إلى مدوّنة تدريب نظيفة بـ `agadir corpus build` (خط معالجة
# [datatrove](https://github.com/huggingface/datatrove))، وقراءة بطاقة البيانات (datacard)
# التي يكتبها، وتفسير كل قرار من قرارات المرشّحات على وثائق زرعناها عمداً.
#
# المجموعات الحقيقية فوضوية: لغات أخرى، نسخ متطابقة وشبه متطابقة، قوائم مواقع ولافتات
# «الكوكيز»، أرقام هواتف، أسطر JSON معطوبة، ملفات بترميزات قديمة. نولّد مجلداً كهذا من جمل
# التطوير المشتركة ونحن *نعرف* ما هي كل وثيقة، لنتحقق من القرارات واحداً واحداً. نحو دقيقة على
# نواتين.

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
# ## 1. مجلد فوضوي ومعه الحقيقة
#
# ست وثائق نظيفة في كل لغة من اللغات الخمس المطلوبة (الدارجة بالحرف العربي واللاتيني، الفصحى،
# الفرنسية، الأمازيغية بتيفيناغ)، ثم المشاكل: وثيقة بالإنجليزية (لغة لا تحتفظ بها الوصفة)،
# ونسخة متطابقة، ونسخة شبه متطابقة (كلمة «bzaf» مُقحمة في كل فقرة)، وصفحة قوائم، ووثيقة فيها رقم
# هاتف وبريد إلكتروني، ووثيقة من كلمة واحدة («salam»)، وسطر ليس JSON، وسطر مكتوب بترميز
# Windows-1256 بدل UTF-8.

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
# ## 2. الوصفة
#
# تسمّي الوصفة المدخلات (مع ترخيصها والموافقة)، واللغات المحتفظ بها، وسياسة البيانات الشخصية،
# وعتبات الجودة (عتبات FineWeb-2 لكل لغة)، وإزالة التكرار. والمفتاح المجهول خطأ، فلا يمكن لخطأ
# مطبعي أن يعطّل مرشّحاً في صمت.

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
# ## 3. البناء
#
# المراحل: القراءة (الأسطر المعطوبة يُبلَّغ عنها ولا تُوقف شيئاً) ← التوحيد ← تعرّف اللغة ←
# البيانات الشخصية ← الجودة لكل لغة ← إزالة التكرار المطابق ← شبه المكرر (MinHash) ← الكتابة.
# وإعادة التشغيل بعد عطل لا تعيد إلا المهام غير المكتملة.

# %%
build = lab.cli("corpus", "build", str(recipe_file))
corpus = folder / "corpus"
inspect = lab.cli("corpus", "inspect", str(corpus), "--samples", "1")

# %% [markdown]
# ## 4. قراءة بطاقة البيانات
#
# `datacard.md` للناس و`datacard.json` للبرامج: عدد الوثائق لكل لغة في كل مرحلة، وما حُذف
# ولماذا، والتراخيص، وعدد البيانات الشخصية (حسب النوع، لا القيم أبداً)، والمدخلات المعطوبة.

# %%
card = json.loads((corpus / "datacard.json").read_text())
print((corpus / "datacard.md").read_text()[:1800])
print("removed:", card["removed"])
print("pii:", card["pii"], "| bad input:", card["bad_input"])

# %% [markdown]
# ## 5. تفسير كل قرار
#
# الوثائق المحتفظ بها تحت `data/<اللغة>/`، والمحذوفة تحت `removed/<المرحلة>/` مع السبب في
# `metadata.filter_reason` حين تعطيه المرحلة. نقرؤها كلها ونضع كل وثيقة مزروعة أمام مصيرها.


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
# لماذا حُذفت صفحة القوائم: إعدادات FineWeb-2 للفرنسية تحذف الوثيقة إذا تجاوزت نسبةُ أسطرها
# المكررة `dup_line_frac` (حشو المواقع). نعيد حساب النسبة بأنفسنا ونقارنها بالعتبة التي استعملها
# خط المعالجة.

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
# ## التحققات

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
# ## ما تعلّمته
#
# - الوصفة ملف يُراجَع: مدخلات بترخيصها وموافقتها، لغات، سياسة بيانات شخصية، عتبات جودة،
#   إزالة تكرار.
# - كل وثيقة محذوفة تحتفظ بسببها (`removed/<المرحلة>/`)، وكل سطر معطوب بملفه ورقمه
#   (`issues/`)، وبطاقة البيانات تجمع ذلك كله.
# - كل قرار يمكن التحقق منه يدوياً: تسمية اللغة ودرجتها، وإحصاء الجودة أمام عتبته، والنسخة التي
#   كررتها الوثيقة.
#
# ## تمارين
#
# 1. أضف `eng_Latn` إلى `languages` وأعد البناء في مجلد جديد. ماذا يتغير في البطاقة؟
# 2. اجعل `pii: drop`. أين تذهب وثيقة `contact`، ولماذا لا تُحفظ تحت `removed/`؟
# 3. اجعل النسخة شبه المتطابقة أقل شبهاً (كلمة في كل جملة لا في كل فقرة). متى يكفّ MinHash عن
#    عدّها مكررة؟
#
# الحلول: [solutions/lab3_corpus.md](solutions/lab3_corpus.md).
