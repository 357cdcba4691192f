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
# # المختبر 5 — تكييف نموذج
#
# **الهدف.** أن نكيّف نموذج SmolLM2-135M-Instruct المرفق بـ Agadir مع بياناتنا بمحوّل LoRA
# (`agadir tune run`)، ونصدّر النتيجة بصيغة GGUF بمحوّل llama.cpp (`agadir tune export`)،
# ونقدّمها إلى جانب نموذجها الأساسي بخادم `agadir serve` واحد، ثم نقارن بينهما بالأمر
# `agadir eval` — أي الحلقة الكاملة التي تمرّ بها مؤسسة لتجعل نموذجاً ملكاً لها.
#
# التدريب صغير عمداً (ثماني خطوات على أقل من مئة مثال قصير) ليتّسع له حاسوب
# محمول بنواتين: إنه يعرض الآلية والتحققات، لا نموذجاً نافعاً. والوصفة نفسها مع خطوات وبيانات
# أكثر وبطاقة رسوميات هي طريقة التكييف الحقيقي (`docs/tune.md`).
#
# البيانات: أزواج DODa من العربيزي إلى الإنجليزية من `../shared/data` (بترخيص MIT)، وبضعة أسئلة
# وأجوبة بالدارجة عن تعاونية، كُتبت لهذا المختبر. يلزم الإضافة `tune` (torch وTRL وPEFT) ومحوّلات
# llama.cpp (`make tune-converters`). بضع دقائق على نواتين.

# %%
import json

import openai
import yaml
from labkit import new_lab, shared_data

lab = new_lab("lab5")
folder = lab.home.parent
data = shared_data()
doda_train = data / "parallel" / "doda_ary_Latn-eng_Latn.train.tsv"

# %% [markdown]
# ## 1. البيانات والوصفة
#
# مجموعتا بيانات: 64 زوجاً من DODa تتحوّل إلى طلبات بواسطة قالب، وملف محادثات من عندنا — أسئلة
# بالدارجة عن تعاونية أركان في المختبرين 4 و6 مع الأجوبة المطلوبة، مثل «fin kayna ta3awniya?»
# («فين كاينة التعاونية؟») وجوابها «ta3awniya kayna f tamanar». تسمّي الوصفة النموذج الأساسي
# والطريقة والبيانات (لكلٍّ منها ترخيصها الذي يُنقل إلى نسب النموذج المصدَّر) وميزانية التدريب.
# يُبقي `max_steps` التدريب قصيراً، ويعزل `eval_fraction` بضعة أمثلة نقيس عليها الخسارة.

# %%
facts = [
    ("fin kayna ta3awniya?", "ta3awniya kayna f tamanar, 9rib l sswira."),
    ("ch7al taman dyal litr dyal zit argan?", "litr dyal zit argan b 200 dirham."),
    ("imta kaybda l7assad?", "l7assad kaybda f yunyu."),
    ("wach 3ndkom chahada bio?", "ah, 3ndna chahada dyal lbio mn 2019."),
    ("kifach nkhalas?", "t9dar tkhalas b lcash wla b virement."),
    ("chkoun kaykhdem f ta3awniya?", "l3yalat dyal ddouar kaykhdmo f ta3awniya kol nhar."),
]
chat_file = folder / "coop-chat.jsonl"
with chat_file.open("w", encoding="utf-8") as out:
    for question, answer in facts * 2:  # a handful of facts, seen a few times each
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        out.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
recipe = {
    "name": "lab5-coop",
    "base": "smollm2-135m-instruct",
    "method": "lora",
    "device": "cpu",
    "output": str(folder / "runs" / "lab5-coop"),
    "data": [
        {
            "kind": "parallel", "path": str(doda_train), "source": "ary_Latn",
            "target": "eng_Latn", "max_examples": 64, "license": "MIT",
        },
        {"kind": "chat", "path": str(chat_file), "license": "CC-BY-4.0"},
    ],
    "templates": {
        "ary_Latn-eng_Latn": "Translate this Darija (Arabizi) sentence into English.\n\n{text}"
    },
    "eval_fraction": 0.1,
    "lora": {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": "all-linear"},
    "train": {
        "max_steps": 8, "learning_rate": 0.001, "batch_size": 4, "gradient_accumulation": 1,
        "max_length": 64, "packing": True, "logging_steps": 1, "eval_steps": 4, "save_steps": 4,
        "early_stop_patience": None,
    },
}  # fmt: skip
recipe_file = folder / "lab5-coop.yaml"
recipe_file.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
print(recipe_file.read_text())

# %% [markdown]
# ## 2. التدريب
#
# يطبع `agadir tune run` أعداد البيانات ثم شريط تقدّم مع الخسارة. النموذج الأساسي ملف GGUF بأربعة
# بتات: يُفكّ تكميمه أولاً إلى float32، ثم يتدرّب المحوّل (نحو 2 % من الأوزان) والأساس ثابت. أوقِفه
# متى شئت وأعد تشغيل الأمر نفسه: يستأنف من آخر نقطة حفظ.

# %%
lab.cli("tune", "run", str(recipe_file), timeout=3600)  # minutes, more on a busy machine
run_dir = folder / "runs" / "lab5-coop"
summary = json.loads((run_dir / "summary.json").read_text())
data_report = json.loads((run_dir / "data_report.json").read_text())
print(json.dumps(summary, indent=2))
print(f"loss curve: {run_dir / 'loss.png'}")

# %% [markdown]
# ## 3. التصدير إلى GGUF
#
# يشغّل الخادم ملفات GGUF بمكتبة llama.cpp. يدمج `agadir tune export` المحوّل في النموذج الأساسي،
# ويحوّل النتيجة بمحوّل llama.cpp نفسه (f16)، ويكمّمها (هنا إلى `q8_0`)، ويسجّل كل ملف في مخزن
# النماذج مع *نسبه*: بصمة النموذج الأساسي، والوصفة، وبصمة كل ملف بيانات وترخيصه، وبصمة الأوزان
# المدرَّبة.

# %%
lab.cli("tune", "export", str(run_dir), "--quant", "q8_0", timeout=3600)
tuned = "lab5-coop-q8_0"
manifest = json.loads((lab.home / "models" / f"{tuned}.json").read_text())
lineage = manifest["lineage"]
print("licence:", manifest["license"])
print("base:", lineage["base"]["ref"], lineage["base"]["sha256"][:16], "…")
for item in lineage["data"]:
    print("data:", item["kind"], item["examples_used"], "examples,", item["license"])

# %% [markdown]
# ## 4. تقديم النموذجين وسؤالهما
#
# خادم `agadir serve` واحد يقدّم كل النماذج المسجّلة: الأساس المرفق وتصديرنا. السؤال نفسه، وفكّ
# ترميز حتمي، وجوابان.

# %%
base_url = lab.serve()
client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=lab.admin_key, max_retries=0)
served = {m.id for m in client.models.list()}
answers = {}
for model in ("smollm2-135m-instruct", tuned):
    reply = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "fin kayna ta3awniya?"}],
        max_tokens=24,
        temperature=0,
    )
    answers[model] = reply.choices[0].message.content
    print(f"{model}: {answers[model]!r}")

# %% [markdown]
# ## 5. المقارنة بالأمر `agadir eval`
#
# جواب واحد لا يثبت شيئاً. مهمة صغيرة — ثمانية أزواج من مجموعة *التطوير* في DODa لم يرها التدريب
# قط — تُقيَّم بمقياس chrF++ للنموذجين، ثم مقارنة مزدوجة. مع ثماني عينات وثماني خطوات تدريب، توقّع
# مجالات تحتوي الصفر: تلك هي النتيجة الصادقة لتدريب بحجم مختبر، وهي سبب الحكم على التكييف بمهمة
# معزولة لا بأمثلة التدريب نفسها. ويحفظ `--record` كل نتيجة في بيان النموذج إلى جانب نسبه.

# %%
with (data / "parallel" / "doda_ary_Latn-eng_Latn.dev.tsv").open(encoding="utf-8") as fh:
    header = fh.readline().rstrip("\n").split("\t")
    rows = [dict(zip(header, line.rstrip("\n").split("\t"), strict=True)) for line in fh]
task_dir = folder / "tasks"
task_dir.mkdir()
with (task_dir / "lab5-arabizi-eng.jsonl").open("w", encoding="utf-8") as out:
    for i, row in enumerate(rows[:8]):
        sample = {"id": f"doda-dev-{i}", "source": row["ary_Latn"], "target": row["eng_Latn"]}
        out.write(json.dumps(sample, ensure_ascii=False) + "\n")
task = {
    "name": "lab5-arabizi-eng",
    "version": 1,
    "samples": "lab5-arabizi-eng.jsonl",
    "request": "chat",
    "prompt": "Translate this Darija (Arabizi) sentence into English.\n\n{source}",
    "scorer": "translation",
    "reference": "target",
    "max_tokens": 24,
    "licence": "MIT (DODa)",
    "source": "8 rows of DODa dev",
}
task_file = task_dir / "lab5-arabizi-eng.yaml"
task_file.write_text(yaml.safe_dump(task, sort_keys=False), encoding="utf-8")
key_env = {"AGADIR_EVAL_API_KEY": lab.admin_key}
for model in ("smollm2-135m-instruct", tuned):
    lab.cli(
        "eval", "run", str(task_file), "-m", model, "--endpoint", f"{base_url}/v1",
        "--out", str(folder / "evals" / model), "--record", model, env=key_env,
    )  # fmt: skip
compare_dir = folder / "evals" / "compare"
lab.cli(
    "eval", "compare", str(folder / "evals" / "smollm2-135m-instruct"),
    str(folder / "evals" / tuned), "--out", str(compare_dir),
)  # fmt: skip
comparison = json.loads((compare_dir / "compare.json").read_text())
recorded = json.loads((lab.home / "models" / f"{tuned}.json").read_text())["evals"]

# %% [markdown]
# ## التحقق

# %%
assert summary["steps"] == 8 and not summary["stopped_early"]
assert summary["last_loss"] < summary["first_loss"], summary
assert summary["eval_loss"] is not None and summary["eval_loss"] > 0
assert data_report["bad"] == [] and (run_dir / "loss.png").stat().st_size > 5_000
assert (run_dir / "export" / f"{tuned}.gguf").stat().st_size > 100_000_000
assert {"smollm2-135m-instruct", tuned} <= served
assert all(answer and answer.strip() for answer in answers.values()), answers
assert lineage["base"]["sha256"] and {d["license"] for d in lineage["data"]} == {"MIT", "CC-BY-4.0"}
chrf = comparison["tasks"][0]["metrics"]["chrf++"]["runs"]
assert len(chrf) == 1 and next(iter(chrf.values()))["n"] == 8
assert "lab5-arabizi-eng" in recorded[-1]["tasks"] and manifest["license"].startswith("Apache")
lab.stop()
print("lab 5: all checks passed")

# %% [markdown]
# ## ما تعلّمته
#
# - وصفة التكييف ملف YAML واحد يمكن مراجعته: النموذج الأساسي، والطريقة، والبيانات بتراخيصها،
#   والميزانية.
# - يدرّب `agadir tune run` محوّل LoRA على المعالج المركزي (أو بطاقة الرسوميات)؛ ويقول
#   `summary.json` و`loss.png` كيف تغيّرت الخسارة، و`data_report.json` أيّ الأسطر استُعملت.
# - يحوّل `agadir tune export` التدريب إلى ملفات GGUF بمحوّل llama.cpp ويسجّلها مع نسبها: بصمة
#   الأساس، والوصفة، وبصمات البيانات وتراخيصها.
# - يُقدَّم النموذج المصدَّر كغيره إلى جانب أساسه، ويُقارَن به على بيانات معزولة بالأمر
#   `agadir eval`، وتُحفظ النتيجة في بيانه.
#
# ## تمارين
#
# 1. درّب 32 خطوة بدل 8 (مع إبقاء `save_steps` مضاعفاً لـ `eval_steps`). هل تستمر خسارة التقييم في
#    الانخفاض؟ وهل يخرج chrF++ على مهمة التطوير من مجاله؟
# 2. اطرح على النموذجين أسئلة التعاونية الستة من ملف المحادثات. أيّ المعلومات التقطها النموذج
#    المكيَّف؟ ثم اطرح أحدها بصياغة أخرى، مثل «ta3awniya fin kayna?»: ماذا يعلّمك ذلك؟
# 3. صدّر المحوّل وحده (`--lora-gguf`)، وسجّله على الأساس بالأمر `agadir models add-adapter`، وقدّمه
#    باسم `smollm2-135m-instruct:coop`. هل يجيب كما يجيب التصدير المدمج؟
#
# الحلول: [solutions/lab5_adapt.md](solutions/lab5_adapt.md).
