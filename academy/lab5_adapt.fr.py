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
# # Lab 5 — Adapter un modèle
#
# **Objectif.** Adapter le SmolLM2-135M-Instruct livré avec Agadir à nos propres données avec un
# adaptateur LoRA (`agadir tune run`), exporter le résultat en GGUF avec le convertisseur de
# llama.cpp (`agadir tune export`), le servir à côté de sa base avec un seul `agadir serve`, et
# comparer les deux avec `agadir eval` — toute la boucle qu'une institution parcourt pour faire
# sien un modèle.
#
# L'entraînement est volontairement minuscule (huit pas sur moins d'une centaine
# d'exemples courts) pour tenir sur un portable à 2 cœurs : il montre la mécanique et les
# vérifications, pas un modèle utile. La même recette, avec plus de pas, de données et un GPU,
# est la façon de faire une vraie adaptation (`docs/tune.md`).
#
# Données : des paires DODa arabizi→anglais de `../shared/data` (MIT) et quelques questions et
# réponses en darija sur une coopérative, écrites pour ce lab. Il faut l'extra `tune` (torch,
# TRL, PEFT) et les convertisseurs de llama.cpp (`make tune-converters`). Quelques minutes sur
# 2 cœurs.

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
# ## 1. Les données et la recette
#
# Deux jeux de données : 64 paires DODa, transformées en consignes par un gabarit, et un
# fichier de dialogues à nous — des questions en darija sur la coopérative d'argan des labs 4 et
# 6, avec les réponses voulues. Une recette nomme la base, la méthode, les données (chacune avec
# sa licence, reportée dans la lignée du modèle exporté) et le budget d'entraînement.
# `max_steps` garde l'entraînement court ; `eval_fraction` met de côté quelques exemples pour
# y mesurer la perte.

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
# ## 2. Entraîner
#
# `agadir tune run` affiche le décompte des données, puis une barre de progression avec la
# perte. La base est un GGUF en 4 bits : elle est d'abord dé-quantifiée en float32, puis
# l'adaptateur (environ 2 % des poids) s'entraîne pendant que la base reste figée. Tuez-le à
# tout moment et relancez la même commande : il reprend au dernier point de contrôle.

# %%
lab.cli("tune", "run", str(recipe_file), timeout=3600)  # minutes, more on a busy machine
run_dir = folder / "runs" / "lab5-coop"
summary = json.loads((run_dir / "summary.json").read_text())
data_report = json.loads((run_dir / "data_report.json").read_text())
print(json.dumps(summary, indent=2))
print(f"loss curve: {run_dir / 'loss.png'}")

# %% [markdown]
# ## 3. Exporter en GGUF
#
# Le serveur exécute des fichiers GGUF avec llama.cpp. `agadir tune export` fond l'adaptateur
# dans la base, convertit le résultat avec le convertisseur de llama.cpp lui-même (f16), le
# quantifie (ici en `q8_0`) et enregistre chaque fichier dans le magasin de modèles avec sa
# *lignée* : l'empreinte de la base, la recette, l'empreinte et la licence de chaque fichier de
# données, une empreinte des poids entraînés.

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
# ## 4. Servir les deux et les interroger
#
# Un seul `agadir serve` sert tous les modèles enregistrés : la base livrée et notre export.
# La même question, un décodage déterministe, deux réponses.

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
# ## 5. Comparer avec `agadir eval`
#
# Une réponse ne prouve rien. Une petite tâche — huit paires DODa de *dev*, que l'entraînement
# n'a jamais vues — notée en chrF++ pour les deux modèles, puis une comparaison appariée. Avec
# huit échantillons et huit pas d'entraînement, attendez-vous à des intervalles qui
# contiennent 0 : c'est le résultat honnête d'un entraînement à la taille d'un lab, et la
# raison pour laquelle on juge une adaptation sur une tâche mise de côté, jamais sur les
# exemples d'entraînement. `--record` range chaque résultat dans le manifeste du modèle, à côté
# de sa lignée.

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
# ## Vérifications

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
# ## Ce que vous avez appris
#
# - Une recette d'adaptation est un seul fichier YAML que l'on peut relire : base, méthode,
#   données avec licences, budget.
# - `agadir tune run` entraîne un adaptateur LoRA sur CPU (ou GPU) ; `summary.json` et
#   `loss.png` disent comment la perte a évolué, `data_report.json` quelles lignes ont servi.
# - `agadir tune export` transforme l'entraînement en fichiers GGUF avec le convertisseur de
#   llama.cpp et les enregistre avec leur lignée : empreinte de la base, recette, empreintes et
#   licences des données.
# - Le modèle exporté est servi comme un autre, à côté de sa base, et comparé à elle sur des
#   données mises de côté avec `agadir eval` — le résultat rangé dans son manifeste.
#
# ## Exercices
#
# 1. Entraînez 32 pas au lieu de 8 (gardez `save_steps` multiple de `eval_steps`). La perte
#    d'évaluation continue-t-elle de baisser ? Le chrF++ sur la tâche de dev sort-il de son
#    intervalle ?
# 2. Posez aux deux modèles les six questions sur la coopérative du fichier de dialogues. Quels
#    faits le modèle adapté a-t-il retenus ? Posez ensuite l'une d'elles autrement : qu'est-ce
#    que cela vous apprend ?
# 3. Exportez l'adaptateur seul (`--lora-gguf`), enregistrez-le sur la base avec
#    `agadir models add-adapter`, et servez-le comme `smollm2-135m-instruct:coop`. Répond-il
#    comme l'export fusionné ?
#
# Solutions : [solutions/lab5_adapt.md](solutions/lab5_adapt.md).
