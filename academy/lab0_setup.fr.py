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
# # Lab 0 — Installation et souveraineté
#
# **Objectif.** Démarrer votre propre serveur Agadir, lui parler avec le client `openai`,
# prouver qu'aucun octet n'a quitté la machine, et lire la chaîne d'audit qui enregistre
# chaque requête.
#
# Une pile *souveraine*, ce sont trois choses que l'on vérifie au lieu d'y croire :
# les poids sont sur votre disque, les requêtes restent sur votre machine, et chaque usage
# est inscrit dans un journal que personne ne peut modifier sans être découvert.
#
# Tout se passe dans un dossier jetable (`AGADIR_HOME`) : votre installation n'est pas
# touchée. Ouvrez ce fichier comme un notebook (`jupytext --to ipynb`) ou lancez-le comme un
# script : `python academy/lab0_setup.fr.py`.

# %%
import hashlib
import json
from pathlib import Path

import openai
import orjson
from labkit import new_lab

lab = new_lab("lab0")

# %% [markdown]
# ## 1. Vérifier l'installation
#
# `agadir doctor` liste les paquets, les modèles enregistrés (SmolLM2-135M pour le chat et
# USE-m3 pour les embeddings sont livrés dans des paquets PyPI : aucun hub de modèles) et la
# politique de sortie réseau (*egress*).

# %%
doctor = lab.cli("doctor")

# %% [markdown]
# ## 2. Démarrer le serveur
#
# `agadir serve` n'écoute que sur `127.0.0.1`. Au premier démarrage il crée le tenant `admin`
# et écrit une clé d'administration, montrée une seule fois, dans `$AGADIR_HOME/admin.key`
# (mode 0600).

# %%
base_url = lab.serve()
key_file = lab.home / "admin.key"
print("admin key file mode:", oct(key_file.stat().st_mode & 0o777))

# %% [markdown]
# ## 3. Lui parler avec le client `openai`
#
# Agadir parle l'API d'OpenAI : n'importe quel client OpenAI fonctionne, seul `base_url`
# change. Le modèle livré est petit et surtout anglophone : jugez ici la plomberie, pas la
# réponse.

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
# Une requête sans clé valide est refusée avec une erreur au format OpenAI (401), et ce refus
# est lui aussi audité.

# %%
anonymous = openai.OpenAI(base_url=f"{base_url}/v1", api_key="agk_wrong_key", max_retries=0)
try:
    anonymous.models.list()
    refused = None
except openai.AuthenticationError as error:
    refused = error
    print("refused:", error.status_code, error.body)

# %% [markdown]
# ## 4. Prouver qu'aucun octet ne sort de la boucle locale
#
# Linux liste les sockets d'un processus sous `/proc/PID/fd` et chaque extrémité TCP/UDP dans
# `/proc/net/tcp`, `tcp6`, `udp`, `udp6`. On rassemble les sockets du serveur et de ses
# enfants (l'écrivain d'audit) et on lit leurs adresses distantes : chacune doit être la
# boucle locale, ou vide pour une socket en écoute.


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
# Voilà ce qui s'est passé. Ce qui *peut* se passer, c'est la politique de sortie : tout hôte
# absent de `egress_allow` (vide par défaut) est refusé avant qu'une socket ne s'ouvre, pour
# chaque requête vers un serveur amont et chaque redirection. La boucle locale n'est jamais
# une sortie.

# %%
from agadir.config import load_settings
from agadir.egress import EgressPolicy

policy = EgressPolicy(load_settings().egress_allow)
for host in ("127.0.0.1", "localhost", "huggingface.co", "8.8.8.8"):
    print(f"{host:16} allowed={policy.allows(host)}")

# %% [markdown]
# ## 5. Lire la chaîne d'audit
#
# Chaque requête — servie ou refusée — est un enregistrement. Les enregistrements sont
# chaînés : `hash = sha256(prev_hash ‖ JSON canonique de l'enregistrement)` ; modifier,
# supprimer ou réordonner un enregistrement casse tous les hachages suivants.
# `agadir audit verify` parcourt la chaîne ; `agadir audit export` l'écrit en JSON Lines, que
# nous re-hachons nous-mêmes.

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
# ## Vérifications

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
# ## Ce que vous avez appris
#
# - `agadir serve` tourne sur votre machine, avec des poids sur votre disque, lié à la boucle
#   locale.
# - N'importe quel client OpenAI lui parle ; les clés sont obligatoires et les refus sont des
#   erreurs au format OpenAI.
# - Vous pouvez *montrer* qu'aucun octet ne sort (les sockets du processus) et ce que la
#   politique refuserait (`egress_allow`).
# - Chaque requête est un enregistrement d'audit dans une chaîne de hachages que vous pouvez
#   recalculer vous-même.
#
# ## Exercices
#
# 1. Ajoutez `example.org` à la liste autorisée avec `AGADIR_EGRESS_ALLOW='["example.org"]'`
#    et montrez que la politique l'autorise désormais, alors que `example.com` reste refusé.
# 2. Retrouvez votre requête de chat dans l'export d'audit : quel fichier de modèle (sha256)
#    a répondu, et combien de jetons a-t-elle consommés ?
# 3. Changez un caractère dans un enregistrement exporté et relancez la vérification à la
#    main : quel enregistrement échoue le premier, et pourquoi tous les suivants aussi ?
#
# Solutions : [solutions/lab0_setup.md](solutions/lab0_setup.md).
