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
# # Lab 0 — Setup and sovereignty
#
# **Goal.** Start your own Agadir server, talk to it with the `openai` client, prove that no
# byte left the machine, and read the audit chain that records every request.
#
# A *sovereign* stack means three things you can check, not believe:
# the weights are on your disk, the requests stay on your machine, and every use is recorded
# in a log that nobody can edit without being caught.
#
# Everything runs in a throw-away folder (`AGADIR_HOME`); your own installation is not touched.
# Run it as a notebook (`jupytext --to ipynb`) or as a script: `python academy/lab0_setup.en.py`.

# %%
import hashlib
import json
from pathlib import Path

import openai
import orjson
from labkit import new_lab

lab = new_lab("lab0")

# %% [markdown]
# ## 1. Check the installation
#
# `agadir doctor` lists the packages, the registered models (the packaged SmolLM2-135M for
# chat and USE-m3 for embeddings ship inside PyPI packages: no model hub) and the egress
# policy.

# %%
doctor = lab.cli("doctor")

# %% [markdown]
# ## 2. Start the server
#
# `agadir serve` binds to `127.0.0.1` only. At its first start it creates an `admin` tenant
# and writes an admin key, shown once, to `$AGADIR_HOME/admin.key` (mode 0600).

# %%
base_url = lab.serve()
key_file = lab.home / "admin.key"
print("admin key file mode:", oct(key_file.stat().st_mode & 0o777))

# %% [markdown]
# ## 3. Talk to it with the `openai` client
#
# Agadir speaks OpenAI's API, so any OpenAI client works; only `base_url` changes.
# The packaged model is small and English-centric: judge the plumbing here, not the answer.

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
# A request without a key is refused with an OpenAI-style error (401), and the refusal is
# audited too.

# %%
anonymous = openai.OpenAI(base_url=f"{base_url}/v1", api_key="agk_wrong_key", max_retries=0)
try:
    anonymous.models.list()
    refused = None
except openai.AuthenticationError as error:
    refused = error
    print("refused:", error.status_code, error.body)

# %% [markdown]
# ## 4. Prove that no byte leaves loopback
#
# Linux lists every socket of a process under `/proc/PID/fd` and every TCP/UDP endpoint in
# `/proc/net/tcp`, `tcp6`, `udp`, `udp6`. We collect the sockets of the server and of its
# children (the audit writer) and read their remote addresses: each must be loopback, or
# empty for a listening socket.


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
# That is what happened. What *may* happen is the egress policy: anything not named in
# `egress_allow` (empty by default) is refused before a socket opens, for every upstream
# request and redirect. Loopback is never egress.

# %%
from agadir.config import load_settings
from agadir.egress import EgressPolicy

policy = EgressPolicy(load_settings().egress_allow)
for host in ("127.0.0.1", "localhost", "huggingface.co", "8.8.8.8"):
    print(f"{host:16} allowed={policy.allows(host)}")

# %% [markdown]
# ## 5. Read the audit chain
#
# Every request — answered or refused — is one record. Records are chained:
# `hash = sha256(prev_hash ‖ canonical JSON of the record)`, so editing, deleting or
# reordering a record breaks every hash after it. `agadir audit verify` walks the chain;
# `agadir audit export` writes it as JSON Lines, which we re-hash ourselves.

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
# ## Checks

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
# ## What you learned
#
# - `agadir serve` runs on your machine, from weights on your disk, bound to loopback.
# - Any OpenAI client talks to it; keys are required and refusals are OpenAI-shaped errors.
# - You can *show* that no byte leaves loopback (the process's sockets) and what the policy
#   would refuse (`egress_allow`).
# - Every request is an audit record in a hash chain you can re-hash yourself.
#
# ## Exercises
#
# 1. Add `example.org` to the egress allow-list with `AGADIR_EGRESS_ALLOW='["example.org"]'` and
#    show that the policy now allows it, while `example.com` stays refused.
# 2. Find your chat request in the exported audit records: which model file (sha256) answered,
#    and how many tokens did it use?
# 3. Change one character in an exported record and re-run the hand verification: which record
#    is the first to fail, and why are all the later ones affected?
#
# Solutions: [solutions/lab0_setup.md](solutions/lab0_setup.md).
