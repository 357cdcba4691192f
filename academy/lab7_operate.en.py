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
# # Lab 7 — Operate
#
# **Goal.** Run Agadir for several organisations: tenants with their own policies, keys with
# scopes, quotas that refuse politely, a PII policy applied before any model sees the text,
# a backup restored, and an audit chain that catches a tampered record.
#
# The cast: a cooperative in the Souss (`coop-souss`, PII masked, 3 requests a minute) and a
# clinic in Fès (`clinic-fes`, PII blocked). The `echo` engine (it repeats the prompt) stands
# in for a model, so what you see is exactly what reached the engine.

# %%
import sqlite3
import time

import httpx
import openai
from labkit import new_lab

lab = new_lab("lab7")
base_url = lab.serve("--enable-echo")

# %% [markdown]
# ## 1. Tenants and their policies
#
# A tenant owns keys; its policy decides what the audit keeps (`none`, `hash`, `full`), what
# happens to personal data (`off`, `mask`, `pseudonymise`, `block`) and its quotas.

# %%
lab.cli("tenants", "create", "coop-souss", "--pii", "mask", "--audit-content", "full", "--rpm", "3")
lab.cli("tenants", "create", "clinic-fes", "--pii", "block")
tenants = lab.cli("tenants", "list")

# %% [markdown]
# ## 2. Keys with scopes
#
# A key is printed once, alone on stdout (the database keeps a salted hash). Scopes are
# default-deny: a key may use the `echo` model only if it holds `models:echo`.

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
# ## 3. Personal data: mask and block
#
# The message below holds a Moroccan phone number and a CIN (national identity card) number.
# For the cooperative they are masked *before* the engine: the echo shows what the model saw.
# The clinic refuses the request (400, `pii_blocked`), naming the types, never the values.

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
# ## 4. Quotas
#
# `coop-souss` may send 3 requests a minute and has had one answered (the masked message;
# the refused 403 spent nothing: scopes are checked before the quota). We keep sending: two
# more pass, the next is refused with 429 and a `retry-after` header saying when to come back.

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
# ## 5. Revoking a key
#
# A revoked key stops working on every server within a second (key rows are cached for one
# second per process). We poll for the outcome rather than sleep a fixed time.

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
# ## 6. Backup while serving
#
# `agadir.db` holds governance, the audit log and the knowledge bases. A plain file copy can
# tear between the database and its write-ahead log; SQLite's online backup (the same as
# `sqlite3 agadir.db ".backup copy.db"`) gives a consistent copy while the server runs.
# The `audit.key` that signs the chain's head is backed up *separately* in real life.

# %%
db = lab.home / "agadir.db"
backup = lab.home.parent / "backup.db"
with sqlite3.connect(db) as source, sqlite3.connect(backup) as target:
    source.backup(target)
verify_before = lab.cli("audit", "verify")
lab.stop()

# %% [markdown]
# ## 7. A simulated tamper
#
# Someone with access to the database file rewrites history: the clinic's refused request
# becomes a success. The chain catches it: `agadir audit verify` exits 1 and names the first
# broken record.

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
# ## 8. Restore
#
# Stop the server (done), put the copy back as `agadir.db` (removing the old WAL files), then
# check the chain and the state: the tenants are there, the chain verifies again.

# %%
for suffix in ("-wal", "-shm"):
    db.with_name(db.name + suffix).unlink(missing_ok=True)
db.write_bytes(backup.read_bytes())
verify_restored = lab.cli("audit", "verify")
restored_tenants = lab.cli("tenants", "list")

# %% [markdown]
# ## Checks

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
# ## What you learned
#
# - Tenants carry the policies (audit content, PII, quotas); keys carry scopes and are shown
#   once.
# - PII is masked or blocked *before* any engine sees the text, and the error never repeats
#   the values.
# - Quotas answer 429 with `retry-after`; revocation applies within a second.
# - Backups are taken online with SQLite's backup API; restore = stop, copy back, verify.
# - The audit chain names the first record someone edited.
#
# ## Exercises
#
# 1. Create a tenant with `--pii pseudonymise` and show that the same phone number, written
#    `06 12 34 56 78` and `+212 612-345678`, gets the same token.
# 2. Rotate the cooperative's key with `agadir keys rotate ID --grace 10m`: which keys work
#    now, and until when?
# 3. Instead of editing a record, delete the last one (`DELETE FROM audit_log WHERE seq = MAX`).
#    Why does `agadir audit verify` still notice, although every remaining hash is right?
#
# Solutions: [solutions/lab7_operate.md](solutions/lab7_operate.md).
