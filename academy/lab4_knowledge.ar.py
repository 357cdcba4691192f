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
# # المختبر 4 — قواعد المعرفة
#
# **الهدف.** أن نسلّم وثائق تعاونية إلى Agadir ونحصل على أجوبة يستطيع الإنسان التحقق منها:
# إدخال ملف PDF مكتوب بالعربية، وسؤاله بالدارجة وبالفرنسية، والتحقق من كل استشهاد مقابل النص
# المخزَّن، ثم حذف وثيقة وإثبات أنه لم يبقَ منها بايت واحد.
#
# يُولَّد ملف PDF هنا (fpdf2 مع تشكيل HarfBuzz، كما في اختبارات المعرفة؛ والخط DejaVu Sans من
# دبيان)، فلا يحتاج المختبر إلى أي ملف من الخارج. نحو دقيقتين على نواتين.

# %%
import json

import httpx
import openai
from fpdf import FPDF
from labkit import new_lab

lab = new_lab("lab4")
folder = lab.home.parent
base_url = lab.serve()
client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=lab.admin_key, max_retries=0)
admin = {"Authorization": f"Bearer {lab.admin_key}"}

# %% [markdown]
# ## 1. ملف PDF بالعربية
#
# صفحتان من دليل تعاونية بالعربية الفصحى: الجني في الصفحة 1، والأسعار والشهادة في الصفحة 2.
# تُخزَّن العربية في PDF رموزاً مشكَّلة مرتبة من اليمين إلى اليسار، ويعيد Agadir بناء النص
# المنطقي من مواضعها.

# %%
pages = [
    [
        "دليل تعاونية تيفاوين لزيت أركان",
        "تقع التعاونية في جماعة تمنار بإقليم الصويرة، وتضم 62 امرأة من الدواوير المجاورة.",
        "يبدأ جني ثمار أركان في شهر يونيو، بعد أن تسقط الثمار الناضجة من الشجر.",
        "تُجفف الثمار تحت الشمس مدة ثلاثة أسابيع قبل كسر النوى يدويا.",
    ],
    [
        "الأسعار والشهادات",
        "يباع لتر زيت أركان الغذائي بثلاثمائة وخمسين درهما، ولتر الزيت التجميلي بأربعمائة درهم.",
        "حصلت التعاونية على شهادة الإنتاج البيولوجي سنة 2019 تحت رقم المراقبة 4471.",
        "يتم الدفع نقدا أو بتحويل بنكي عند استلام الطلب.",
    ],
]
pdf = FPDF()
pdf.add_font("dejavu", fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
pdf.set_font("dejavu", size=12)
pdf.set_text_shaping(True)
for lines in pages:
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, 9, line, new_x="LMARGIN", new_y="NEXT", align="R")
guide = folder / "guide-tifawin.pdf"
pdf.output(str(guide))
note = folder / "note-interne.md"
note.write_text(
    "# Note interne\n\nLe code du portail de l'entrepôt est KBX-2291-TIF. "
    "Ne pas le communiquer aux visiteurs.\n",
    encoding="utf-8",
)
print(guide, guide.stat().st_size, "bytes;", note)

# %% [markdown]
# ## 2. إنشاء قاعدة وإدخال الوثائق
#
# للقاعدة مستأجر مالك، و**غاية** و**أساس قانوني** (يشترطهما القانون المغربي 09-08)، ومدة
# احتفاظ. ويقدّم الإدخال تقريراً عن كل ملف (`added` أو `unchanged` أو `replaced` أو `skipped`
# مع السبب) ويحفظ مصدره: المسار وبصمة sha256 والترخيص والصفحات.

# %%
lab.cli(
    "kb", "create", "tifawin", "--owner", "admin",
    "--purpose", "answer members' questions about the cooperative",
    "--legal-basis", "legitimate interest of the cooperative",
)  # fmt: skip
ingest = lab.cli(
    "kb", "ingest", "tifawin", str(guide), str(note), "--json", "--licence", "CC-BY-4.0"
)
report = json.loads(ingest.stdout)
documents = json.loads(lab.cli("kb", "docs", "tifawin", "--format", "json", quiet=True).stdout)
by_name = {d["name"]: d for d in documents}
print({name: (d["pages"], d["chunks"], d["sha256"][:12]) for name, d in by_name.items()})

# %% [markdown]
# ## 3. السؤال بالدارجة وبالفرنسية
#
# `model: "kb:tifawin"` يسترجع مقاطع ويجيب منها مع `citations`. ومع النموذج الصغير المرفق يكون
# الجواب *استخراجياً*: أفضل جمل المقاطع منقولة حرفياً، كل منها برقمها `[n]` — لا شيء مختلَق.
# السؤال بالدارجة مكتوب بالحرف العربي («شحال كيسوا لتر ديال زيت أركان؟»)، والسؤال الفرنسي يخص
# وثيقة عربية: الاسترجاع عابر للغات.

# %%
questions = {
    "ary_Arab": "شحال كيسوا لتر ديال زيت أركان الغذائي؟",
    "fra_Latn": "À quel mois commence la récolte de l'argan à la coopérative ?",
}
answers = {}
for language, question in questions.items():
    reply = client.chat.completions.create(
        model="kb:tifawin",
        messages=[{"role": "user", "content": question}],
        temperature=0,
        max_tokens=128,
    )
    extra = reply.model_extra or {}
    answers[language] = (reply.choices[0].message.content, extra["citations"], extra)
    print(f"[{language}] {question}\n{reply.choices[0].message.content}")
    print("  mode:", extra.get("answer_mode"))
    for c in extra["citations"]:
        print(f"  [{c['index']}] {c['document']} p.{c['page']} {c['start']}-{c['end']}")

# %% [markdown]
# وسطر الأوامر يسأل بالطريقة نفسها (`agadir kb ask`)، وهنا بالعربيزي: «wach 3ndhom chahada dyal
# lbio?» أي «واش عندهم شهادة ديال البيو؟».

# %%
asked = lab.cli(
    "kb", "ask", "tifawin", "wach 3ndhom chahada dyal lbio?",
    "--url", f"{base_url}/v1", env={"AGADIR_API_KEY": lab.admin_key},
)  # fmt: skip

# %% [markdown]
# ## 4. تحقّق من الاستشهادات بنفسك
#
# يعطي التصدير النص المخزَّن لكل وثيقة. والاستشهاد صادق حين يكون اقتباسه هو بالضبط النص المخزَّن
# بين `start` و`end`، في الصفحة التي يذكرها.

# %%
export = httpx.get(f"{base_url}/v1/knowledge/tifawin/export", headers=admin)
stored = {}
for line in export.text.splitlines():
    doc = json.loads(line)
    stored[doc["id"]] = doc
checked = 0
for _, citations, _ in answers.values():
    for c in citations:
        text = stored[c["document_id"]]["text"]
        assert text[c["start"] : c["end"]] == c["quote"], c
        checked += 1
print(f"{checked} citations match the stored text exactly")
price = answers["ary_Arab"][1]
harvest = answers["fra_Latn"][1]
print("price cited from page", {c["page"] for c in price if c["cited"]})
print("harvest cited from page", {c["page"] for c in harvest if c["cited"]})

# %% [markdown]
# ## 5. حذف وثيقة وإثبات زوالها
#
# في المذكرة الداخلية رمز بوابة ما كان ينبغي إدخاله. قبل الحذف: البحث يجده. ثم يحذف
# `agadir kb rm-doc` في معاملة واحدة الوثيقةَ ومقاطعها وصفوف الفهرس والمتجهات والأجوبة المخزنة،
# ثم يضغط القاعدة (إعادة كتابة فهرس النص الكامل، وتصفير الصفحات المحررة، وتفريغ WAL، وVACUUM).
# بعد الحذف: لا يجده أي بحث، ولا يوجد الرمز في أي بايت من ملفات القاعدة.

# %%
marker = "KBX-2291-TIF"


def search(query: str) -> list[dict]:
    r = httpx.post(
        f"{base_url}/v1/knowledge/tifawin/search",
        headers=admin,
        json={"query": query, "top_k": 5},
    )
    return r.json()["data"]


def marker_in_files() -> list[str]:
    needles = (marker.encode("utf-8"), marker.encode("utf-16-le"))
    found = []
    for path in sorted(lab.home.glob("agadir.db*")):
        data = path.read_bytes()
        if any(n in data for n in needles):
            found.append(path.name)
    return found


before_search = [p["text"] for p in search("code du portail de l'entrepôt") if marker in p["text"]]
before_files = marker_in_files()
note_id = by_name["note-interne.md"]["id"]
lab.cli("kb", "rm-doc", "tifawin", note_id)
after_search = [p["text"] for p in search("code du portail de l'entrepôt") if marker in p["text"]]
after_files = marker_in_files()
remaining = json.loads(lab.cli("kb", "docs", "tifawin", "--format", "json", quiet=True).stdout)
print("before:", len(before_search), "passages,", before_files)
print("after: ", len(after_search), "passages,", after_files or "no file holds the marker")
print("documents left:", [d["name"] for d in remaining])

# %% [markdown]
# ## التحققات

# %%
assert {r["status"] for r in report["files"]} == {"added"}, report
assert by_name["guide-tifawin.pdf"]["pages"] == 2
assert answers["ary_Arab"][0] and answers["fra_Latn"][0]
assert checked >= 2
assert any("350" in c["quote"] or "ثلاثمائة" in c["quote"] for c in price if c["cited"])
assert any(c["page"] == 2 for c in price if c["cited"])
assert any("يونيو" in c["quote"] and c["page"] == 1 for c in harvest if c["cited"])
assert "4471" in asked.stdout or "2019" in asked.stdout
assert before_search and before_files
assert not after_search and not after_files
assert [d["name"] for d in remaining] == ["guide-tifawin.pdf"]
lab.stop()
print("lab 4: all checks passed")

# %% [markdown]
# ## ما تعلّمته
#
# - قاعدة المعرفة تسجّل سبب وجودها (الغاية والأساس القانوني)، ومالكها، ومصدر كل وثيقة.
# - تُقرأ ملفات PDF العربية من رموزها إلى نصها المنطقي، وأسئلة بالدارجة أو العربيزي أو الفرنسية
#   تجد مقاطع عربية.
# - كل استشهاد يشير إلى صفحة ومجال أحرف من النص المخزَّن: يمكنك التحقق منه.
# - الحذف يزيل الوثيقة من كل مكان نُسخت إليه (المقاطع، الفهرس، المتجهات، الذاكرة المؤقتة) ويضغط
#   الملفات، وهو ما تتحقق منه بايتاً بايتاً.
#
# ## تمارين
#
# 1. اطرح سؤالاً لا يجيب عنه الدليل (مثلاً عن ثمن الزعفران). ماذا يعود، وهل استُدعي نموذج؟
# 2. أدخل ملف PDF نفسه مرة ثانية، ثم نسخة معدّلة (أضف سطراً). ماذا يقول كل تقرير، وهل يتغير
#    معرّف الوثيقة؟
# 3. اطرح السؤال بالدارجة مع `extra_body={"answer_mode": "generative"}`. قارن بالجواب
#    الاستخراجي: بأيهما تثق، ولماذا؟
#
# الحلول: [solutions/lab4_knowledge.md](solutions/lab4_knowledge.md).
