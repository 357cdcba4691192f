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
# # المختبر 0 — التثبيت والسيادة
#
# **الهدف.** تشغيل خادم Agadir خاص بك، ومحادثته بعميل `openai`، وإثبات أن أي بايت لم يغادر
# الجهاز، وقراءة سلسلة التدقيق التي تسجّل كل طلب.
#
# المنظومة *السيادية* ثلاثة أمور نتحقق منها بدل أن نصدّقها: الأوزان على قرصك، والطلبات تبقى
# على جهازك، وكل استعمال مسجَّل في سجلّ لا يمكن لأحد تعديله دون أن يُكشف.
# وبالدارجة: «الموديل عندي، والطلبات ما كتخرجش من الماشينة، وكلشي مكتوب».
#
# كل شيء يجري في مجلد مؤقت (`AGADIR_HOME`)، فلا يُمسّ تثبيتك الخاص. افتح هذا الملف كدفتر
# (`jupytext --to ipynb`) أو شغّله كبرنامج: `python academy/lab0_setup.ar.py`.

# %%
import hashlib
import json
from pathlib import Path

import openai
import orjson
from labkit import new_lab

lab = new_lab("lab0")

# %% [markdown]
# ## 1. التحقق من التثبيت
#
# يعرض `agadir doctor` الحزم، والنماذج المسجّلة (SmolLM2-135M للمحادثة و USE-m3 للتضمين،
# وكلاهما يأتي داخل حزم PyPI: لا حاجة إلى أي مستودع نماذج)، وسياسة الخروج إلى الشبكة.

# %%
doctor = lab.cli("doctor")

# %% [markdown]
# ## 2. تشغيل الخادم
#
# يستمع `agadir serve` على `127.0.0.1` فقط. عند أول تشغيل ينشئ المستأجر `admin` ويكتب مفتاح
# إدارة يُعرض مرة واحدة في `$AGADIR_HOME/admin.key` (بصلاحيات 0600).

# %%
base_url = lab.serve()
key_file = lab.home / "admin.key"
print("admin key file mode:", oct(key_file.stat().st_mode & 0o777))

# %% [markdown]
# ## 3. المحادثة بعميل `openai`
#
# يتكلم Agadir واجهة OpenAI، فأي عميل OpenAI يعمل معه، ولا يتغير إلا `base_url`. النموذج
# المرفق صغير ويغلب عليه الإنجليزية: قيّم هنا التوصيلات لا جودة الجواب. جرّب بعد ذلك سؤالاً
# بالدارجة مثل «شنو هي أكادير؟».

# %%
client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=lab.admin_key, max_retries=0)
models = [m.id for m in client.models.list().data]
print("models:", models)
reply = client.chat.completions.create(
    model="smollm2-135m-instruct",
    messages=[{"role": "user", "content": "Say hello to Agadir in one short sentence."}],
    max_tokens=24,
    temperature=0,
)
print("reply:", reply.choices[0].message.content)
print("usage:", reply.usage)

# %% [markdown]
# الطلب بمفتاح غير صالح يُرفض بخطأ على شكل أخطاء OpenAI (401)، وهذا الرفض نفسه يُسجَّل في
# التدقيق.

# %%
anonymous = openai.OpenAI(base_url=f"{base_url}/v1", api_key="agk_wrong_key", max_retries=0)
try:
    anonymous.models.list()
    refused = None
except openai.AuthenticationError as error:
    refused = error
    print("refused:", error.status_code, error.body)

# %% [markdown]
# ## 4. إثبات أن أي بايت لا يغادر الحلقة المحلية
#
# يعرض لينكس مقابس كل عملية في `/proc/PID/fd` وكل طرف TCP/UDP في `/proc/net/tcp` و`tcp6`
# و`udp` و`udp6`. نجمع مقابس الخادم وأبنائه (كاتب التدقيق) ونقرأ عناوينها البعيدة: يجب أن يكون
# كل عنوان هو الحلقة المحلية، أو فارغاً لمقبس في وضع الاستماع.


# %%
def children(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        for kid in kids:
            found += children(int(kid))
    return found


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def decode(address: str) -> str:
    host, port = address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw)) + f":{int(port, 16)}"
    words = [raw[i : i + 4][::-1].hex() for i in range(0, 16, 4)]
    return "[" + ":".join(words) + f"]:{int(port, 16)}"


def endpoints(inodes: set[str]) -> list[tuple[str, str, str]]:
    rows = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[9] in inodes:
                rows.append((table, decode(cols[1]), decode(cols[2])))
    return rows


def is_loopback_or_unset(endpoint: str) -> bool:
    host = endpoint.rsplit(":", 1)[0]
    return (
        host.startswith("127.")
        or host == "0.0.0.0"
        or host.strip("[]") in ("0" * 32, "0" * 24 + "0100007f", "0" * 31 + "1")
    )


server_pids = children(lab.pid())
inodes = set().union(*(socket_inodes(p) for p in server_pids))
sockets = endpoints(inodes)
for row in sockets:
    print(*row)
outside = [s for s in sockets if not is_loopback_or_unset(s[2])]
print("processes:", server_pids, "| sockets:", len(sockets), "| to the outside:", outside)

# %% [markdown]
# هذا ما حدث فعلاً. أما ما *يمكن* أن يحدث فتحدده سياسة الخروج: كل مضيف غير مذكور في
# `egress_allow` (الفارغة افتراضياً) يُرفض قبل فتح أي مقبس، لكل طلب نحو خادم خارجي ولكل إعادة
# توجيه. والحلقة المحلية ليست خروجاً أبداً.

# %%
from agadir.config import load_settings
from agadir.egress import EgressPolicy

policy = EgressPolicy(load_settings().egress_allow)
for host in ("127.0.0.1", "localhost", "huggingface.co", "8.8.8.8"):
    print(f"{host:16} allowed={policy.allows(host)}")

# %% [markdown]
# ## 5. قراءة سلسلة التدقيق
#
# كل طلب — مقبولاً كان أو مرفوضاً — هو سجلّ. السجلات مترابطة:
# `hash = sha256(prev_hash ‖ JSON القانوني للسجل)`، فتعديل سجلّ أو حذفه أو تغيير ترتيبه يكسر كل
# البصمات التي تليه. يمرّ `agadir audit verify` على السلسلة، ويكتبها `agadir audit export`
# بصيغة JSON Lines نعيد حساب بصماتها بأنفسنا.

# %%
verify = lab.cli("audit", "verify")
export_file = lab.home.parent / "audit.jsonl"
lab.cli("audit", "export", "-o", str(export_file))
records = [json.loads(line) for line in export_file.read_text().splitlines()]
previous = "0" * 64
relinked = 0
for record in records:
    body = {k: v for k, v in record.items() if k not in ("prev_hash", "hash")}
    assert record["prev_hash"] == previous
    digest = hashlib.sha256(previous.encode() + orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
    relinked += digest.hexdigest() == record["hash"]
    previous = record["hash"]
for record in records:
    print(record.get("kind"), record.get("endpoint"), record.get("status"), record.get("tenant"))
print(f"{relinked}/{len(records)} hashes recomputed by hand")

# %% [markdown]
# ## التحققات

# %%
assert "egress" in doctor.stdout.lower()
assert oct(key_file.stat().st_mode & 0o777) == "0o600"
assert "smollm2-135m-instruct" in models
assert reply.choices[0].message.content.strip()
assert refused is not None and refused.status_code == 401
assert sockets and not outside, outside
assert not policy.allows("huggingface.co") and policy.allows("127.0.0.1")
assert verify.returncode == 0
assert relinked == len(records) >= 3
statuses = [r.get("status") for r in records]
assert 200 in statuses and 401 in statuses
lab.stop()
print("lab 0: all checks passed")

# %% [markdown]
# ## ما تعلّمته
#
# - يشتغل `agadir serve` على جهازك، بأوزان على قرصك، مربوطاً بالحلقة المحلية.
# - أي عميل OpenAI يتحدث إليه؛ المفاتيح إلزامية، والرفض أخطاء على شكل OpenAI.
# - يمكنك أن *تُثبت* أن لا بايت يخرج (مقابس العملية) وما ستمنعه السياسة (`egress_allow`).
# - كل طلب سجلّ تدقيق في سلسلة بصمات يمكنك إعادة حسابها بنفسك.
#
# ## تمارين
#
# 1. أضف `example.org` إلى قائمة السماح بـ `AGADIR_EGRESS_ALLOW='["example.org"]'` وبيّن أن
#    السياسة صارت تسمح به، بينما يبقى `example.com` مرفوضاً.
# 2. ابحث عن طلب المحادثة في تصدير التدقيق: أيّ ملف نموذج (sha256) أجاب، وكم رمزاً استهلك؟
# 3. غيّر حرفاً واحداً في سجلّ مُصدَّر وأعد التحقق اليدوي: أيّ سجلّ يفشل أولاً، ولماذا تفشل كل
#    السجلات التي بعده؟
#
# الحلول: [solutions/lab0_setup.md](solutions/lab0_setup.md).
