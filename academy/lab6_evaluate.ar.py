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
# # المختبر 6 — التقييم
#
# **الهدف.** كتابة مهمة تقييم من بياناتك الخاصة، وتشغيلها بـ `agadir eval run` على نموذجين
# خلف نقطة الوصول نفسها المتوافقة مع OpenAI، ثم مقارنتهما بمجالات ثقة واختبارات مزدوجة — حتى
# يأتي قول «النموذج ب أفضل» مع مقدار اليقين فيه.
#
# النموذجان: SmolLM2-135M-Instruct المرفق مع Agadir، ومحرك `echo` الذي يعيد نصه كما هو — حدّ
# أدنى يجب أن يتجاوزه كل نموذج حقيقي. نحو 3 دقائق على نواتين.

# %%
import csv
import json
import random

import yaml
from labkit import new_lab, shared_data

lab = new_lab("lab6")
folder = lab.home.parent
base_url = lab.serve("--enable-echo")
key_env = {"AGADIR_EVAL_API_KEY": lab.admin_key}

# %% [markdown]
# ## 1. مهمة من بياناتك
#
# المهمة ملف YAML وملف JSONL للعينات. مهمتنا تترجم الدارجة المكتوبة بالحروف اللاتينية
# (العربيزي) إلى الإنجليزية: ثماني جمل كتبناها عن تعاونية المختبر 4، مثل «ch7al taman dyal litr
# dyal zit argan?» أي «شحال ثمن لتر ديال زيت أركان؟»، وأربع جمل من مجموعة تطوير DODa (عينات
# قليلة لأن نموذجاً بـ 135 مليون معامل بطيء على نواتين). ويسمح الحقل `origin` للتقرير بتقسيم
# النتائج حسب مصدر العينة (*شريحة*).

# %%
ours = [
    ("ch7al taman dyal litr dyal zit argan?", "how much is a litre of argan oil?"),
    ("l7assad kaybda f yunyu", "the harvest starts in June"),
    ("3ndna chahada dyal lbio mn 2019", "we have had an organic certificate since 2019"),
    ("l3yalat kaykhdmo f ta3awniya kol nhar", "the women work at the cooperative every day"),
    ("wach t9dar tjib lia jouj litrat?", "can you bring me two litres?"),
    ("lkhlas b lcash wla b virement", "payment in cash or by bank transfer"),
    ("ta3awniya kayna f tamanar", "the cooperative is in Tamanar"),
    ("zit argan dyal lmakla ghali chwiya", "edible argan oil is a bit expensive"),
]
with (shared_data() / "parallel" / "doda_ary_Latn-eng_Latn.dev.tsv").open(encoding="utf-8") as fh:
    doda = [(r["ary_Latn"], r["eng_Latn"]) for r in csv.DictReader(fh, delimiter="\t", quoting=3)]
picked = random.Random(6).sample(doda, 4)
samples = [
    {"id": f"{origin}-{i}", "source": src, "target": tgt, "origin": origin}
    for origin, rows in (("ours", ours), ("doda", picked))
    for i, (src, tgt) in enumerate(rows)
]
task_dir = folder / "tasks"
task_dir.mkdir()
with (task_dir / "arabizi-eng-coop.jsonl").open("w", encoding="utf-8") as out:
    for sample in samples:
        out.write(json.dumps(sample, ensure_ascii=False) + "\n")
task = {
    "name": "arabizi-eng-coop",
    "version": 1,
    "samples": "arabizi-eng-coop.jsonl",
    "description": "Translate Arabizi (Darija in Latin script) into English.",
    "request": "chat",
    "prompt": "Translate this Moroccan Darija text into English. Reply with the translation only."
    "\n\n{source}",
    "scorer": "translation",
    "reference": "target",
    "slices": ["origin"],
    "max_tokens": 24,
    "licence": "ours: CC BY 4.0; doda: MIT (DODa)",
    "source": "8 sentences written for this lab + 4 rows of DODa dev",
}
task_file = task_dir / "arabizi-eng-coop.yaml"
task_file.write_text(yaml.safe_dump(task, allow_unicode=True, sort_keys=False), encoding="utf-8")
print(task_file.read_text())

# %% [markdown]
# المهمة المعطوبة تفشل قبل أي طلب، وتقول ما يجب إصلاحه. هنا يذكر النص حقلاً لا تملكه العينات:

# %%
broken = task_dir / "broken.yaml"
broken.write_text(task_file.read_text().replace("{source}", "{sentence}"), encoding="utf-8")
refused = lab.cli(
    "eval", "run", str(broken), "-m", "echo", "--endpoint", f"{base_url}/v1",
    check=False, env=key_env,
)  # fmt: skip

# %% [markdown]
# ## 2. تشغيلها على نموذجين
#
# المهمة نفسها، ونقطة الوصول نفسها، ونموذجان. فك الترميز حتمي (حرارة 0، بذرة 0)، وكل جواب يُخزَّن
# مؤقتاً: إعادة التشغيل لا تكلف أي طلب.

# %%
runs = {}
for model in ("echo", "smollm2-135m-instruct"):
    out = folder / "runs" / model
    lab.cli(
        "eval", "run", str(task_file), "-m", model, "--endpoint", f"{base_url}/v1",
        "--out", str(out), "--concurrency", "2", env=key_env,
    )  # fmt: skip
    runs[model] = json.loads((out / "report.json").read_text())
print((folder / "runs" / "smollm2-135m-instruct" / "report.md").read_text()[:1500])

# %% [markdown]
# ## 3. قراءة تقرير: لكل رقم مجاله
#
# chrF++ (متتاليات الحروف، رفيق بصرف الدارجة) وBLEU، لكل منهما مجال bootstrap بنسبة 95 % على
# العينات، إجمالاً ولكل شريحة. مع 12 عينة تكون المجالات واسعة: وذلك هو الحجم الصادق لما قسناه.


# %%
def metrics(report: dict) -> dict:
    return report["tasks"][0]["metrics"]


for model, report in runs.items():
    for name, value in metrics(report).items():
        interval = f"[{value['low']:6.2f}, {value['high']:6.2f}]"
        print(f"{model:22} {name:6} {value['value']:6.2f}  {interval}")

# %% [markdown]
# ## 4. المقارنة باختبارات مزدوجة
#
# يأخذ `agadir eval compare` التشغيل الأول مرجعاً، وعلى العينات التي أجاب عنها الاثنان يعطي لكل
# مقياس الفرق مع مجال bootstrap مزدوج وقيمتي p (bootstrap مزدوج، وعشوائية تقريبية)، مع رسم
# بياني. إذا احتوى المجال على 0 فهذه العينات لا تميّز بين النموذجين. ولا تستغرب إن فاز echo في
# chrF++: نسخ المدخل يشارك المرجعَ الأسماءَ والأرقام، بينما قد يجيب نموذج صغير خارج الموضوع.
# لذلك يلزم مرجع تافه في كل مقارنة.

# %%
compare_dir = folder / "runs" / "compare"
lab.cli(
    "eval", "compare", str(folder / "runs" / "echo"),
    str(folder / "runs" / "smollm2-135m-instruct"), "--out", str(compare_dir),
)  # fmt: skip
comparison = json.loads((compare_dir / "compare.json").read_text())
for name, row in comparison["tasks"][0]["metrics"].items():
    for run, d in row["runs"].items():
        verdict = "cannot tell apart" if d["low"] <= 0 <= d["high"] else "different"
        print(
            f"{name:6} {run.split('@')[0]} - echo = {d['delta']:+.2f} "
            f"[{d['low']:+.2f}, {d['high']:+.2f}], p = {d['p_permutation']:.3f}: {verdict}"
        )

# %% [markdown]
# ## 5. إعادة التشغيل لا ترسل أي طلب
#
# مفتاح الذاكرة المؤقتة: نقطة الوصول، والنموذج، واسم المهمة ونسختها، والعينة، وإعدادات فك
# الترميز. إعادة التشغيل تعطي الأرقام نفسها دون استدعاء النموذج.

# %%
rerun_out = folder / "runs" / "echo-again"
lab.cli(
    "eval", "run", str(task_file), "-m", "echo", "--endpoint", f"{base_url}/v1",
    "--out", str(rerun_out), env=key_env,
)  # fmt: skip
rerun = json.loads((rerun_out / "report.json").read_text())

# %% [markdown]
# ## التحققات

# %%
assert refused.returncode != 0 and "sentence" in (refused.stdout + refused.stderr)
for model, report in runs.items():
    for name, value in metrics(report).items():
        assert value["low"] <= value["value"] <= value["high"], (model, name, value)
assert set(metrics(runs["echo"])) == {"chrf++", "bleu"}
for row in comparison["tasks"][0]["metrics"].values():
    for value in row["runs"].values():
        assert value["low"] <= value["delta"] <= value["high"] and value["n"] == len(samples)
        assert 0 <= value["p_bootstrap"] <= 1 and 0 <= value["p_permutation"] <= 1
assert metrics(rerun) == metrics(runs["echo"])
assert (compare_dir / "compare.png").stat().st_size > 5_000
lab.stop()
print("lab 6: all checks passed")

# %% [markdown]
# ## ما تعلّمته
#
# - مهمة التقييم ملفان صغيران يُراجعان: YAML (النص، المقياس، المرجع، الشرائح، الترخيص، المصدر)
#   وJSONL للعينات.
# - يعمل `agadir eval run` مع أي نقطة وصول متوافقة مع OpenAI؛ الأجوبة مخزنة، فإعادة التشغيل
#   والتقارير الجديدة لا تكلف شيئاً.
# - لكل رقم مجال ثقة 95 %؛ والمقارنات مزدوجة على العينات نفسها.
# - المرجع التافه (echo) يكشف إن كان المقياس يكافئ نسخ المدخل.
#
# ## تمارين
#
# 1. أضف شريحة `length` (`short` لخمس كلمات أو أقل، و`long` لما عداها) إلى العينات والمهمة
#    (وارفع `version`). أين يكون الفرق بين النموذجين أكبر؟
# 2. شغّل المهمة المرفقة `fidelity-script-language` بـ `--limit 6` على النموذجين. كم ينال echo في
#    تطابق اللغة، ولماذا؟
# 3. كم عينة تلزم ليصير مجال chrF++ نصف عرضه؟ تحقق بمضاعفة حصة DODa في المهمة.
#
# الحلول: [solutions/lab6_evaluate.md](solutions/lab6_evaluate.md).
