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
# # المختبر 7 — التشغيل
#
# **الهدف.** تشغيل Agadir لعدة مؤسسات: مستأجرون (tenants) لكل منهم سياساته، ومفاتيح بنطاقات
# صلاحية، وحصص ترفض بأدب، وسياسة للبيانات الشخصية تُطبَّق قبل أن يرى أي نموذج النص، ونسخة
# احتياطية تُستعاد، وسلسلة تدقيق تكشف سجلاً محرَّفاً.
#
# الشخصيات: تعاونية في سوس (`coop-souss`، البيانات الشخصية مُقنَّعة، 3 طلبات في الدقيقة)
# ومصحة في فاس (`clinic-fes`، البيانات الشخصية محظورة). محرك `echo` (يعيد النص كما هو) يقوم
# مقام النموذج، فترى بالضبط ما وصل إلى المحرك.

# %%
import sqlite3
import time

import httpx
import openai
from labkit import new_lab

lab = new_lab("lab7")
base_url = lab.serve("--enable-echo")

# %% [markdown]
# ## 1. المستأجرون وسياساتهم
#
# يملك المستأجر مفاتيح، وتحدد سياسته ما يحفظه التدقيق (`none` أو `hash` أو `full`)، ومصير
# البيانات الشخصية (`off` أو `mask` أو `pseudonymise` أو `block`)، وحصصه.

# %%
lab.cli("tenants", "create", "coop-souss", "--pii", "mask", "--audit-content", "full", "--rpm", "3")
lab.cli("tenants", "create", "clinic-fes", "--pii", "block")
tenants = lab.cli("tenants", "list")

# %% [markdown]
# ## 2. مفاتيح بنطاقات صلاحية
#
# يُطبع المفتاح مرة واحدة، وحده على المخرج القياسي (ولا تحفظ القاعدة إلا بصمة مملّحة له).
# النطاقات ترفض افتراضياً: لا يستعمل المفتاح النموذج `echo` إلا إذا كان يحمل `models:echo`.

# %%
coop_key = lab.cli(
    "keys", "create", "--tenant", "coop-souss", "--scopes", "chat,models:echo", quiet=True
).stdout.strip()
clinic_key = lab.cli(
    "keys", "create", "--tenant", "clinic-fes", "--scopes", "chat,models:echo", quiet=True
).stdout.strip()
print("coop key:", coop_key[:17] + "…")
listing = lab.cli("keys", "list", "--format", "tsv")

coop = openai.OpenAI(base_url=f"{base_url}/v1", api_key=coop_key, max_retries=0)
clinic = openai.OpenAI(base_url=f"{base_url}/v1", api_key=clinic_key, max_retries=0)


def ask(client: openai.OpenAI, text: str, model: str = "echo") -> str:
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}], max_tokens=64
    )
    return reply.choices[0].message.content or ""


try:
    ask(coop, "salam", model="smollm2-135m-instruct")
    out_of_scope = None
except openai.PermissionDeniedError as error:
    out_of_scope = error
    print("403:", error.body["message"])

# %% [markdown]
# ## 3. البيانات الشخصية: التقنيع والحظر
#
# الرسالة أدناه بالدارجة المكتوبة بالحروف اللاتينية («عيّط ليا ف...، البطاقة ديالي...») وفيها
# رقم هاتف مغربي ورقم بطاقة التعريف الوطنية. عند التعاونية يُقنَّعان *قبل* المحرك: والصدى يبيّن
# ما رآه النموذج. أما المصحة فترفض الطلب (400، `pii_blocked`) ذاكرةً الأنواع لا القيم.

# %%
message = "3ayet liya f 06 12 34 56 78, CIN dyali AB123456"
masked = ask(coop, message)
print("coop-souss saw:", masked)
try:
    ask(clinic, message)
    blocked = None
except openai.BadRequestError as error:
    blocked = error
    print("clinic-fes:", error.status_code, error.body["code"], "-", error.body["message"])

# %% [markdown]
# ## 4. الحصص
#
# يحق لـ `coop-souss` ثلاثة طلبات في الدقيقة، وقد أُجيب له طلب واحد (الرسالة المقنّعة؛ أما
# رفض 403 فلم يكلّف شيئاً لأن النطاقات تُفحص قبل الحصة). نواصل: يمرّ طلبان، ويُرفض الذي بعدهما
# بـ 429 مع ترويسة `retry-after` تقول متى نعود.

# %%
answered = 1
for _ in range(5):
    raw = httpx.post(
        f"{base_url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {coop_key}"},
        json={"model": "echo", "messages": [{"role": "user", "content": "3awd"}], "max_tokens": 8},
    )
    if raw.status_code != 200:
        break
    answered += 1
print(raw.status_code, raw.json()["error"]["type"], "retry-after:", raw.headers.get("retry-after"))
print("answered this minute:", answered)

# %% [markdown]
# ## 5. إبطال مفتاح
#
# المفتاح المُبطَل يتوقف عن العمل على كل الخوادم في أقل من ثانية (تُخزَّن المفاتيح مؤقتاً ثانية
# واحدة في كل عملية). ننتظر النتيجة بدل الانتظار مدة ثابتة.

# %%
key_id = clinic_key.split("_")[1]
lab.cli("keys", "revoke", key_id)
deadline = time.monotonic() + 10
revoked_status = None
while time.monotonic() < deadline and revoked_status != 401:
    revoked_status = httpx.get(
        f"{base_url}/v1/models", headers={"Authorization": f"Bearer {clinic_key}"}
    ).status_code
print("revoked key ->", revoked_status)

# %% [markdown]
# ## 6. نسخة احتياطية أثناء الخدمة
#
# يضم `agadir.db` الحوكمة وسجل التدقيق وقواعد المعرفة. قد ينشطر النسخ العادي للملف بين القاعدة
# وسجلّها WAL؛ أما النسخ الاحتياطي الحيّ في SQLite (مثل `sqlite3 agadir.db ".backup copy.db"`)
# فيعطي نسخة متّسقة والخادم يعمل. وفي الواقع يُحفظ `audit.key`، الذي يوقّع رأس السلسلة، في
# مكان *آخر*.

# %%
db = lab.home / "agadir.db"
backup = lab.home.parent / "backup.db"
with sqlite3.connect(db) as source, sqlite3.connect(backup) as target:
    source.backup(target)
verify_before = lab.cli("audit", "verify")
lab.stop()

# %% [markdown]
# ## 7. تحريف مُحاكى
#
# شخص يصل إلى ملف القاعدة يعيد كتابة التاريخ: الطلب المرفوض للمصحة يصبح ناجحاً. السلسلة تكشف
# ذلك: يخرج `agadir audit verify` بالرمز 1 ويسمّي أول سجلّ مكسور.

# %%
with sqlite3.connect(db) as conn:
    seq, body = conn.execute(
        "SELECT seq, body FROM audit_log WHERE tenant = 'clinic-fes'"
        " AND body LIKE '%\"status\":400%'"
    ).fetchone()
    conn.execute(
        "UPDATE audit_log SET body = ? WHERE seq = ?",
        (body.replace('"status":400', '"status":200'), seq),
    )
print("tampered with record", seq)
tampered = lab.cli("audit", "verify", check=False)

# %% [markdown]
# ## 8. الاستعادة
#
# نوقف الخادم (تم ذلك)، ونعيد النسخة مكان `agadir.db` (بحذف ملفات WAL القديمة)، ثم نتحقق من
# السلسلة ومن الحالة: المستأجرون موجودون، والسلسلة سليمة من جديد.

# %%
for suffix in ("-wal", "-shm"):
    db.with_name(db.name + suffix).unlink(missing_ok=True)
db.write_bytes(backup.read_bytes())
verify_restored = lab.cli("audit", "verify")
restored_tenants = lab.cli("tenants", "list")

# %% [markdown]
# ## التحققات

# %%
assert "coop-souss" in tenants.stdout and "clinic-fes" in tenants.stdout
assert coop_key.startswith("agk_") and coop_key not in listing.stdout
assert out_of_scope is not None and out_of_scope.status_code == 403
assert "[PHONE]" in masked and "[CIN]" in masked and "06 12 34" not in masked
assert blocked is not None and blocked.body["code"] == "pii_blocked"
assert "AB123456" not in blocked.body["message"]
assert raw.status_code == 429 and int(raw.headers["retry-after"]) > 0 and answered == 3
assert revoked_status == 401
assert verify_before.returncode == 0
assert tampered.returncode == 1 and str(seq) in (tampered.stdout + tampered.stderr)
assert verify_restored.returncode == 0 and "clinic-fes" in restored_tenants.stdout
print("lab 7: all checks passed")

# %% [markdown]
# ## ما تعلّمته
#
# - المستأجرون يحملون السياسات (محتوى التدقيق، البيانات الشخصية، الحصص)، والمفاتيح تحمل
#   النطاقات ولا تُعرض إلا مرة.
# - تُقنَّع البيانات الشخصية أو تُحظر *قبل* أي محرك، ولا يكرر الخطأ قيمها أبداً.
# - تجيب الحصص بـ 429 مع `retry-after`، ويسري الإبطال خلال ثانية.
# - النسخ الاحتياطي حيّ بواجهة SQLite؛ والاستعادة = إيقاف، إرجاع النسخة، تحقق.
# - سلسلة التدقيق تسمّي أول سجلّ عُدِّل.
#
# ## تمارين
#
# 1. أنشئ مستأجراً بـ `--pii pseudonymise` وبيّن أن الرقم نفسه، مكتوباً `06 12 34 56 78`
#    و`+212 612-345678`، يأخذ الرمز المستعار نفسه.
# 2. دوّر مفتاح التعاونية بـ `agadir keys rotate ID --grace 10m`: أيّ المفاتيح يعمل الآن،
#    وإلى متى؟
# 3. بدل تعديل سجلّ، احذف آخر سجلّ. لماذا يلاحظ `agadir audit verify` ذلك مع أن كل البصمات
#    الباقية صحيحة؟
#
# الحلول: [solutions/lab7_operate.md](solutions/lab7_operate.md).
