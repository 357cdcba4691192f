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
# # Lab 6 — Evaluate
#
# **Goal.** Write an evaluation task from your own data, run it with `agadir eval run`
# against two models behind the same OpenAI-compatible endpoint, and compare them with
# confidence intervals and paired tests — so that "model B is better" comes with how sure
# you can be.
#
# The two models: the packaged SmolLM2-135M-Instruct and the `echo` engine, which repeats
# its prompt — a floor every real model must clear. About 3 minutes on 2 cores.

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
# ## 1. A task from your own data
#
# A task is a YAML file and a JSONL of samples. Ours translates Darija written in Latin
# script (Arabizi) into English: eight sentences we wrote about the cooperative of lab 4, and
# four drawn from the DODa dev split (few samples: a 135M model on 2 CPU cores is slow).
# An `origin` field lets the report break results down by where a sample came from (a
# *slice*).

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
# A broken task fails before any request, saying what to fix. Here the prompt names a field
# the samples do not have:

# %%
broken = task_dir / "broken.yaml"
broken.write_text(task_file.read_text().replace("{source}", "{sentence}"), encoding="utf-8")
refused = lab.cli(
    "eval", "run", str(broken), "-m", "echo", "--endpoint", f"{base_url}/v1",
    check=False, env=key_env,
)  # fmt: skip

# %% [markdown]
# ## 2. Run it against two models
#
# Same task, same endpoint, two models. Decoding is deterministic (temperature 0, seed 0),
# and every answer is cached: a rerun costs no request.

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
# ## 3. Read a report: every number has an interval
#
# chrF++ (character n-grams, kind to Darija's morphology) and BLEU, each with a 95 %
# bootstrap interval over samples, overall and per slice. With 12 samples the intervals are
# wide: that is the honest size of what we measured.


# %%
def metrics(report: dict) -> dict:
    return report["tasks"][0]["metrics"]


for model, report in runs.items():
    for name, value in metrics(report).items():
        interval = f"[{value['low']:6.2f}, {value['high']:6.2f}]"
        print(f"{model:22} {name:6} {value['value']:6.2f}  {interval}")

# %% [markdown]
# ## 4. Compare with paired tests
#
# `agadir eval compare` takes the first run as the baseline and, on the samples both runs
# answered, gives each metric's difference with a paired bootstrap interval and two p-values
# (paired bootstrap, approximate randomisation), plus a plot. When the interval holds 0,
# these samples cannot tell the two models apart. Do not be surprised if echo wins on chrF++:
# copying the input shares names and numbers with the reference, while a small model may
# answer beside the point. That is why a trivial baseline belongs in every comparison.

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
# ## 5. A rerun makes no request
#
# The cache is keyed by endpoint, model, task name and version, the sample and the decoding
# settings. Rerunning gives the same numbers without calling the model.

# %%
rerun_out = folder / "runs" / "echo-again"
lab.cli(
    "eval", "run", str(task_file), "-m", "echo", "--endpoint", f"{base_url}/v1",
    "--out", str(rerun_out), env=key_env,
)  # fmt: skip
rerun = json.loads((rerun_out / "report.json").read_text())

# %% [markdown]
# ## Checks

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
# ## What you learned
#
# - An evaluation task is two small files you can review: a YAML (prompt, scorer, reference,
#   slices, licence, source) and a JSONL of samples.
# - `agadir eval run` works against any OpenAI-compatible endpoint; answers are cached, so
#   reruns and new reports cost nothing.
# - Every number comes with a 95 % interval; comparisons are paired, on the same samples.
# - A trivial baseline (echo) tells you whether a metric rewards copying the input.
#
# ## Exercises
#
# 1. Add a slice `length` (`short` for ≤ 5 words, `long` otherwise) to the samples and the
#    task (bump `version`). Where is the difference between the two models largest?
# 2. Run the shipped task `fidelity-script-language` with `--limit 6` on both models. What
#    does echo score on language match, and why?
# 3. How many samples would you need for the chrF++ interval to be half as wide? Check by
#    doubling the DODa part of the task.
#
# Solutions: [solutions/lab6_evaluate.md](solutions/lab6_evaluate.md).
