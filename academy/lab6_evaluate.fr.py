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
# # Lab 6 — Évaluer
#
# **Objectif.** Écrire une tâche d'évaluation à partir de vos propres données, la lancer avec
# `agadir eval run` contre deux modèles derrière le même point d'accès compatible OpenAI, et
# les comparer avec des intervalles de confiance et des tests appariés — pour que « le modèle
# B est meilleur » vienne avec le degré de certitude.
#
# Les deux modèles : SmolLM2-135M-Instruct, livré avec Agadir, et le moteur `echo`, qui répète
# son prompt — un plancher que tout vrai modèle doit dépasser. Environ 3 minutes sur 2 cœurs.

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
# ## 1. Une tâche à partir de vos données
#
# Une tâche, c'est un fichier YAML et un JSONL d'échantillons. La nôtre traduit la darija
# écrite en lettres latines (arabizi) vers l'anglais : huit phrases écrites par nous sur la
# coopérative du lab 4, et quatre tirées du jeu de développement DODa (peu d'échantillons : un
# modèle de 135M sur 2 cœurs est lent). Un champ `origin` permet au rapport de découper les
# résultats selon la provenance (une *tranche*).

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
# Une tâche cassée échoue avant toute requête, en disant quoi corriger. Ici le prompt nomme un
# champ que les échantillons n'ont pas :

# %%
broken = task_dir / "broken.yaml"
broken.write_text(task_file.read_text().replace("{source}", "{sentence}"), encoding="utf-8")
refused = lab.cli(
    "eval", "run", str(broken), "-m", "echo", "--endpoint", f"{base_url}/v1",
    check=False, env=key_env,
)  # fmt: skip

# %% [markdown]
# ## 2. La lancer contre deux modèles
#
# Même tâche, même point d'accès, deux modèles. Le décodage est déterministe (température 0,
# graine 0), et chaque réponse est mise en cache : relancer ne coûte aucune requête.

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
# ## 3. Lire un rapport : chaque nombre a son intervalle
#
# chrF++ (n-grammes de caractères, indulgent pour la morphologie de la darija) et BLEU,
# chacun avec un intervalle bootstrap à 95 % sur les échantillons, au total et par tranche.
# Avec 12 échantillons, les intervalles sont larges : c'est la taille honnête de ce que nous
# avons mesuré.


# %%
def metrics(report: dict) -> dict:
    return report["tasks"][0]["metrics"]


for model, report in runs.items():
    for name, value in metrics(report).items():
        interval = f"[{value['low']:6.2f}, {value['high']:6.2f}]"
        print(f"{model:22} {name:6} {value['value']:6.2f}  {interval}")

# %% [markdown]
# ## 4. Comparer avec des tests appariés
#
# `agadir eval compare` prend la première exécution comme référence et, sur les échantillons
# auxquels les deux ont répondu, donne pour chaque métrique la différence avec un intervalle
# bootstrap apparié et deux valeurs p (bootstrap apparié, randomisation approchée), plus un
# graphique. Quand l'intervalle contient 0, ces échantillons ne départagent pas les deux
# modèles. Ne soyez pas surpris si echo gagne en chrF++ : recopier l'entrée partage des noms
# et des nombres avec la référence, alors qu'un petit modèle peut répondre à côté. C'est
# pourquoi une référence triviale a sa place dans toute comparaison.

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
# ## 5. Relancer ne fait aucune requête
#
# Le cache est indexé par point d'accès, modèle, nom et version de la tâche, échantillon et
# réglages de décodage. Relancer redonne les mêmes nombres sans appeler le modèle.

# %%
rerun_out = folder / "runs" / "echo-again"
lab.cli(
    "eval", "run", str(task_file), "-m", "echo", "--endpoint", f"{base_url}/v1",
    "--out", str(rerun_out), env=key_env,
)  # fmt: skip
rerun = json.loads((rerun_out / "report.json").read_text())

# %% [markdown]
# ## Vérifications

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
# ## Ce que vous avez appris
#
# - Une tâche d'évaluation, ce sont deux petits fichiers que l'on relit : un YAML (prompt,
#   score, référence, tranches, licence, source) et un JSONL d'échantillons.
# - `agadir eval run` fonctionne contre tout point d'accès compatible OpenAI ; les réponses
#   sont en cache, relancer et refaire un rapport ne coûte rien.
# - Chaque nombre vient avec un intervalle à 95 % ; les comparaisons sont appariées, sur les
#   mêmes échantillons.
# - Une référence triviale (echo) révèle si une métrique récompense la recopie de l'entrée.
#
# ## Exercices
#
# 1. Ajoutez une tranche `length` (`short` pour ≤ 5 mots, `long` sinon) aux échantillons et à
#    la tâche (incrémentez `version`). Où l'écart entre les deux modèles est-il le plus grand ?
# 2. Lancez la tâche livrée `fidelity-script-language` avec `--limit 6` sur les deux modèles.
#    Quel score d'accord de langue obtient echo, et pourquoi ?
# 3. Combien d'échantillons faudrait-il pour un intervalle chrF++ deux fois plus étroit ?
#    Vérifiez en doublant la part DODa de la tâche.
#
# Solutions : [solutions/lab6_evaluate.md](solutions/lab6_evaluate.md).
