"""End to end: `agadir eval` against a real `agadir serve` (echo engine, packaged SmolLM2,
the sample knowledge packs, a masking tenant), and through an Agadir server whose model is an
upstream served by a second process.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from agadir.evals.runner import RunConfig
from agadir.evals.session import evaluate
from agadir.evals.task import Task, builtin_tasks, load_task
from tests.evals.conftest import Upstream, write_task
from tests.evals.test_runner import translit_samples
from tests.servers import RunningServer, start_server, stop_server

pytestmark = pytest.mark.e2e
MODEL = "smollm2-135m-instruct"


def shipped(name: str, limit: int) -> Task:
    task = load_task(builtin_tasks()[name])
    return Task(task.spec, task.path, task.samples[:limit])


def cfg(server: RunningServer, tmp_path: Path, model: str, key: str | None = None) -> RunConfig:
    return RunConfig(
        endpoint=f"{server.base_url}/v1",
        model=model,
        api_key=key or server.admin_key,
        cache_path=tmp_path / "cache.sqlite",
        concurrency=4,
    )


async def test_echo_engine_scores_by_hand(server: RunningServer, tmp_path: Path) -> None:
    samples = translit_samples(6)
    right = load_task(write_task(tmp_path / "a", "right", samples, prompt="{target}"))
    wrong = load_task(write_task(tmp_path / "b", "wrong", samples, prompt="{source}"))
    report = await evaluate([right, wrong], cfg(server, tmp_path, "echo"))
    got = {t["task"]: t["metrics"] for t in report["tasks"]}
    assert got["right"]["exact"]["value"] == 1.0 and got["right"]["cer"]["value"] == 0.0
    assert got["wrong"]["exact"]["value"] == 0.0 and got["wrong"]["cer"]["value"] > 0.5


def _key(server: RunningServer, tenant: str, pii: str) -> str:
    admin = httpx.Client(base_url=server.base_url, headers=server.headers, timeout=30)
    r = admin.post("/admin/tenants", json={"name": tenant, "pii_mode": pii})
    assert r.status_code == 201, r.text
    r = admin.post("/admin/keys", json={"tenant": tenant, "scopes": "chat,models:*"})
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def test_pii_echo_under_a_masking_tenant(server: RunningServer, tmp_path: Path) -> None:
    task = shipped("pii-echo", 72)
    masked = _key(server, "evals-mask", "mask")
    open_ = _key(server, "evals-open", "off")
    leak_masked = await evaluate([task], cfg(server, tmp_path, "echo", masked))
    leak_open = await evaluate([task], cfg(server, tmp_path / "o", "echo", open_))
    assert leak_masked["tasks"][0]["metrics"]["leak"]["value"] == 0.0
    # the echo engine repeats the prompt: with no policy every identifier comes back
    assert leak_open["tasks"][0]["metrics"]["leak"]["value"] == 1.0
    assert set(leak_open["tasks"][0]["slices"]["types"]) >= {"CIN+PHONE", "RIB", "CARD"}


async def test_grounded_qa_over_the_sample_packs(server: RunningServer, tmp_path: Path) -> None:
    full = load_task(builtin_tasks()["grounded-qa-packs"])
    samples = [s for s in full.samples if s["answerable"]][:4]
    samples += [s for s in full.samples if not s["answerable"]][:3]
    task = Task(full.spec, full.path, samples)
    report = (await evaluate([task], cfg(server, tmp_path, "echo")))["tasks"][0]
    metrics = report["metrics"]
    assert metrics["recall@5"]["n"] == 4 and metrics["recall@5"]["value"] >= 0.5
    assert metrics["no_answer_recall"]["n"] == 3
    for sample in report["samples"]:
        assert all(isinstance(h, str) for h in sample["output"]["hits"])


async def test_packaged_model_mcq_by_loglik_and_translation(
    server: RunningServer, tmp_path: Path
) -> None:
    mcq = shipped("mcq-darija-translation", 3)
    translation = shipped("translate-ary_Latn-eng", 2)
    report = await evaluate([mcq, translation], cfg(server, tmp_path, MODEL))
    by = {t["task"]: t for t in report["tasks"]}
    assert by["mcq-darija-translation"]["modes"] == {"loglik": 3}
    for sample in by["mcq-darija-translation"]["samples"]:
        assert all(lp < 0 and math.isfinite(lp) for lp in sample["output"]["logprobs"])
    chrf = by["translate-ary_Latn-eng"]["metrics"]["chrf++"]["value"]
    assert 0.0 <= chrf <= 100.0
    assert "nrefs:1" in by["translate-ary_Latn-eng"]["signatures"]["chrf++"]


@pytest.fixture
def gateway_over_upstream(
    tmp_path: Path, upstream: Callable[..., Upstream]
) -> Iterator[tuple[RunningServer, Upstream]]:
    up = upstream()
    home = tmp_path / "gw-home"
    home.mkdir()
    (home / "agadir.toml").write_text(
        f'[[upstreams]]\nname = "up"\nmodel = "up-model"\nbase_url = "{up.url}"\n'
        "[knowledge]\npacks = []\n"
    )
    gateway = start_server(home)
    yield gateway, up
    stop_server(gateway)


async def test_through_agadir_to_an_upstream_process(
    gateway_over_upstream: tuple[RunningServer, Upstream], tmp_path: Path
) -> None:
    gateway, up = gateway_over_upstream
    task = load_task(write_task(tmp_path, "right", translit_samples(5), prompt="{target}"))
    report = (await evaluate([task], cfg(gateway, tmp_path, "up")))["tasks"][0]
    outputs = [s["output"] for s in report["samples"]]
    assert report["metrics"]["exact"]["value"] == 1.0, outputs
    assert len(up.asked()) == 5
