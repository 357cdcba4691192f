"""lm-evaluation-harness interop: the real `lm-eval` package, `local-completions` at its default
settings (token-id prompts, remote tokenizer auto-detected from `/tokenizer_info` and
`/tokenize`), against a real `agadir serve`, on a small custom YAML task over local files.
Its accuracy must equal `agadir eval`'s on the same items.

Only the endpoint and the credentials are passed (``auth_token`` is what lm-eval sends to the
tokenizer endpoints; ``OPENAI_API_KEY`` what it sends to completions).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agadir.evals.lm_eval_task import write_lm_eval_task
from agadir.evals.runner import RunConfig
from agadir.evals.session import evaluate
from agadir.evals.task import Task, builtin_tasks, load_task
from tests.servers import RunningServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MODEL = "smollm2-135m-instruct"
ITEMS = 4  # 16 scored continuations: minutes on 2 busy CPU cores
# where the old text-offset split disagreed (issue #14): the server's offsets drift over byte
# tokens of Arabic script, the text path dropped the last tokens and picked another choice
DRIFT_ITEM = 10


def run_lm_eval(server: RunningServer, folder: Path, items: list[dict[str, object]]) -> dict:
    if importlib.util.find_spec("lm_eval") is None:
        pytest.fail("lm-eval is not installed: pip install 'agadir[dev]' (it is in the dev extra)")
    tasks = write_lm_eval_task(folder, "agadir_mcq_interop", items)
    out = folder / "out"
    args = [
        sys.executable,
        "-m",
        "lm_eval",
        "--model",
        "local-completions",
        "--model_args",
        f"model={MODEL},base_url={server.base_url}/v1/completions,auth_token={server.admin_key}",
        "--tasks",
        "agadir_mcq_interop",
        "--include_path",
        str(tasks),
        "--output_path",
        str(out),
    ]
    env = {
        **os.environ,
        "OPENAI_API_KEY": server.admin_key,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_DATASETS_CACHE": str(folder / "hf-datasets"),
        "HF_HOME": str(folder / "hf-home"),
    }
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    (results,) = out.rglob("results_*.json")
    return dict(json.loads(results.read_text())["results"]["agadir_mcq_interop"])


@pytest.mark.timeout(1800)
async def test_lm_eval_local_completions_defaults_match_agadir_eval(
    server: RunningServer, tmp_path: Path
) -> None:
    shipped = load_task(builtin_tasks()["mcq-darija-translation"])
    items = [*shipped.samples[:ITEMS], shipped.samples[DRIFT_ITEM]]
    theirs = run_lm_eval(server, tmp_path, items)
    config = RunConfig(
        endpoint=f"{server.base_url}/v1",
        model=MODEL,
        api_key=server.admin_key,
        cache_path=tmp_path / "cache.sqlite",
        mcq_mode="loglik",
        # one request at a time, as lm-eval sent them: this test compares accuracies, and on a
        # slow machine eight concurrent long echo prompts can outlast a short client timeout
        concurrency=1,
        timeout=600.0,
    )
    report = await evaluate([Task(shipped.spec, shipped.path, items)], config)
    ours = report["tasks"][0]["metrics"]
    assert {s["output"]["split"] for s in report["tasks"][0]["samples"]} == {"tokens"}
    assert theirs["acc,none"] == pytest.approx(ours["acc"]["value"])
    assert theirs["acc_norm,none"] == pytest.approx(ours["acc_norm"]["value"])
