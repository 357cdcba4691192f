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
# # Lab 7 — Exploiter
#
# **Objectif.** Faire tourner Agadir pour plusieurs organisations : des tenants avec leurs
# propres politiques, des clés avec des périmètres (*scopes*), des quotas qui refusent
# poliment, une politique de données personnelles appliquée avant qu'un modèle ne voie le
# texte, une sauvegarde restaurée, et une chaîne d'audit qui repère un enregistrement altéré.
#
# Les acteurs : une coopérative du Souss (`coop-souss`, données personnelles masquées,
# 3 requêtes par minute) et une clinique de Fès (`clinic-fes`, données personnelles bloquées).
# Le moteur `echo` (il répète le prompt) tient lieu de modèle : vous voyez exactement ce qui
# est arrivé au moteur.

# %%
import sqlite3
import time

import httpx
import openai
from labkit import new_lab

lab = new_lab("lab7")
base_url = lab.serve("--enable-echo")

# %% [markdown]
# ## 1. Les tenants et leurs politiques
#
# Un tenant possède des clés ; sa politique décide de ce que garde l'audit (`none`, `hash`,
# `full`), du sort des données personnelles (`off`, `mask`, `pseudonymise`, `block`) et de
# ses quotas.

# %%
lab.cli("tenants", "create", "coop-souss", "--pii", "mask", "--audit-content", "full", "--rpm", "3")
lab.cli("tenants", "create", "clinic-fes", "--pii", "block")
tenants = lab.cli("tenants", "list")

# %% [markdown]
# ## 2. Des clés avec des périmètres
#
# Une clé est affichée une seule fois, seule sur la sortie standard (la base n'en garde qu'un
# hachage salé). Les périmètres refusent par défaut : une clé n'utilise le modèle `echo` que si
# elle détient `models:echo`.

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
# ## 3. Données personnelles : masquer et bloquer
#
# Le message ci-dessous contient un numéro de téléphone marocain et un numéro de CIN. Pour la
# coopérative, ils sont masqués *avant* le moteur : l'écho montre ce que le modèle a vu. La
# clinique refuse la requête (400, `pii_blocked`) en nommant les types, jamais les valeurs.

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
# ## 4. Les quotas
#
# `coop-souss` a droit à 3 requêtes par minute et en a déjà une servie (le message masqué ; le
# refus 403 n'a rien coûté : les périmètres sont vérifiés avant le quota). On continue : deux
# passent, la suivante est refusée avec un 429 et un en-tête `retry-after` qui dit quand
# revenir.

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
# ## 5. Révoquer une clé
#
# Une clé révoquée cesse de fonctionner sur tous les serveurs en moins d'une seconde (les clés
# sont mises en cache une seconde par processus). On attend le résultat plutôt qu'une durée
# fixe.

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
# ## 6. Sauvegarder pendant le service
#
# `agadir.db` contient la gouvernance, le journal d'audit et les bases de connaissances. Une
# simple copie de fichier peut se déchirer entre la base et son journal WAL ; la sauvegarde
# en ligne de SQLite (comme `sqlite3 agadir.db ".backup copie.db"`) donne une copie cohérente
# pendant que le serveur tourne. En vrai, `audit.key`, qui signe la tête de la chaîne, se
# sauvegarde *ailleurs*.

# %%
db = lab.home / "agadir.db"
backup = lab.home.parent / "backup.db"
with sqlite3.connect(db) as source, sqlite3.connect(backup) as target:
    source.backup(target)
verify_before = lab.cli("audit", "verify")
lab.stop()

# %% [markdown]
# ## 7. Une falsification simulée
#
# Quelqu'un qui a accès au fichier de la base réécrit l'histoire : la requête refusée de la
# clinique devient un succès. La chaîne le détecte : `agadir audit verify` sort avec le code 1
# et nomme le premier enregistrement cassé.

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
# ## 8. Restaurer
#
# Arrêter le serveur (c'est fait), remettre la copie à la place de `agadir.db` (en supprimant
# les anciens fichiers WAL), puis vérifier la chaîne et l'état : les tenants sont là, la
# chaîne se vérifie de nouveau.

# %%
for suffix in ("-wal", "-shm"):
    db.with_name(db.name + suffix).unlink(missing_ok=True)
db.write_bytes(backup.read_bytes())
verify_restored = lab.cli("audit", "verify")
restored_tenants = lab.cli("tenants", "list")

# %% [markdown]
# ## Vérifications

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
# ## Ce que vous avez appris
#
# - Les tenants portent les politiques (contenu d'audit, données personnelles, quotas) ; les
#   clés portent les périmètres et ne sont montrées qu'une fois.
# - Les données personnelles sont masquées ou bloquées *avant* tout moteur, et l'erreur ne
#   répète jamais les valeurs.
# - Les quotas répondent 429 avec `retry-after` ; une révocation s'applique en une seconde.
# - On sauvegarde en ligne avec l'API de sauvegarde de SQLite ; restaurer = arrêter, recopier,
#   vérifier.
# - La chaîne d'audit nomme le premier enregistrement modifié.
#
# ## Exercices
#
# 1. Créez un tenant avec `--pii pseudonymise` et montrez que le même numéro, écrit
#    `06 12 34 56 78` et `+212 612-345678`, reçoit le même jeton.
# 2. Faites tourner la clé de la coopérative avec `agadir keys rotate ID --grace 10m` :
#    quelles clés fonctionnent maintenant, et jusqu'à quand ?
# 3. Au lieu de modifier un enregistrement, supprimez le dernier. Pourquoi
#    `agadir audit verify` s'en aperçoit-il, alors que tous les hachages restants sont justes ?
#
# Solutions : [solutions/lab7_operate.md](solutions/lab7_operate.md).
