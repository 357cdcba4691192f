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
# # Lab 5 — Adapt a model
#
# **Goal.** Adapt the packaged SmolLM2-135M-Instruct to our own data with a LoRA adapter
# (`agadir tune run`), export the result to GGUF with llama.cpp's converter
# (`agadir tune export`), serve it next to its base with one `agadir serve`, and compare the
# two with `agadir eval` — the whole loop an institution runs to make a model its own.
#
# The run is deliberately tiny (eight steps on under a hundred short examples) so that it
# fits a 2-core laptop: it shows the mechanics and the checks, not a useful model. The same
# recipe with more steps, data and a GPU is how a real adaptation is done (`docs/tune.md`).
#
# Data: DODa Arabizi→English pairs from `../shared/data` (MIT) and a few Darija questions
# and answers about a cooperative, written for this lab. Needs the `tune` extra (torch, TRL,
# PEFT) and llama.cpp's converters (`make tune-converters`). A few minutes on 2 cores.

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
# ## 1. The data and the recipe
#
# Two data sets: 64 DODa pairs, turned into prompts by a template, and a chat file of our
# own — Darija questions about the argan cooperative of labs 4 and 6 with the answers we
# want. A recipe names the base, the method, the data (each with its licence, carried into
# the exported model's lineage) and the training budget. `max_steps` keeps the run short;
# `eval_fraction` holds out a few examples to measure the loss on.

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
# ## 2. Train
#
# `agadir tune run` prints the data counts, then a progress bar with the loss. The base is a
# 4-bit GGUF: it is de-quantized to float32 first, then the adapter (about 2 % of the
# weights) trains while the base stays frozen. Kill it at any time and rerun the same
# command: it resumes from the last checkpoint.

# %%
lab.cli("tune", "run", str(recipe_file), timeout=3600)  # minutes, more on a busy machine
run_dir = folder / "runs" / "lab5-coop"
summary = json.loads((run_dir / "summary.json").read_text())
data_report = json.loads((run_dir / "data_report.json").read_text())
print(json.dumps(summary, indent=2))
print(f"loss curve: {run_dir / 'loss.png'}")

# %% [markdown]
# ## 3. Export to GGUF
#
# The server runs GGUF files with llama.cpp. `agadir tune export` folds the adapter into the
# base, converts the result with llama.cpp's own converter (f16), quantizes it (here to
# `q8_0`) and registers each file in the model store with its *lineage*: the base's hash, the
# recipe, every data file's hash and licence, a hash of the trained weights.

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
# ## 4. Serve both and ask them
#
# One `agadir serve` serves every registered model: the packaged base and our export. The
# same question, deterministic decoding, two answers.

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
# ## 5. Compare with `agadir eval`
#
# One answer proves nothing. A small task — eight DODa *dev* pairs, which the training never
# saw — scored with chrF++ for both models, then a paired comparison. With eight samples and
# eight steps of training, expect intervals that hold 0: that is the honest result of a
# lab-sized run, and the reason an adaptation is judged on a held-out task, never on the
# examples it trained on. `--record` stores each result in the model's manifest, next to its
# lineage.

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
# ## Checks

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
# ## What you learned
#
# - A tuning recipe is one YAML file you can review: base, method, data with licences, budget.
# - `agadir tune run` trains a LoRA adapter on CPU (or GPU); `summary.json` and `loss.png`
#   say how the loss moved, `data_report.json` which lines were used.
# - `agadir tune export` turns the run into GGUF files with llama.cpp's converter and
#   registers them with their lineage: base hash, recipe, data hashes and licences.
# - The exported model is served like any other, next to its base, and compared with the
#   base on held-out data with `agadir eval` — the result recorded in its manifest.
#
# ## Exercises
#
# 1. Train 32 steps instead of 8 (keep `save_steps` a multiple of `eval_steps`). Does the
#    eval loss keep falling? Does chrF++ on the dev task move outside its interval?
# 2. Ask both models the six cooperative questions of the chat file. Which facts did the
#    tuned model pick up? Then ask one of them in other words: what does that tell you?
# 3. Export the adapter alone (`--lora-gguf`), register it on the base with
#    `agadir models add-adapter`, and serve it as `smollm2-135m-instruct:coop`. Does it
#    answer like the merged export?
#
# Solutions: [solutions/lab5_adapt.md](solutions/lab5_adapt.md).
