"""The same recipe on datatrove's RayPipelineExecutor (a local Ray cluster) and locally.

Why: ``--executor ray`` is how a build scales past one machine; the stages must pickle, run
as Ray tasks and give the corpus the local executor gives. The test starts its own 2-CPU
cluster (no dashboard) and shuts it down. Skipped when ray is not installed (the ``ray``
extra), so the core suite stays installable without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agadir.corpus import RunOptions, build, load_recipe
from tests.corpus.conftest import FINEWEB2
from tests.corpus.test_build import corpus_rows

ray = pytest.importorskip("ray")


def recipe(path: Path, inputs: Path, out: Path) -> Path:
    """Two languages, 2 tasks, 2 MinHash buckets: every Ray task starts a fresh actor process
    (about a second each on 2 cores), so the stage count is what keeps this test short."""
    path.write_text(
        f"""
name: ray
inputs:
  - {{name: dev, path: {inputs}, format: jsonl, licence: CC-BY-SA-4.0, consent: true}}
languages: [ary_Arab, fra_Latn]
quality: {{fineweb2_dir: {FINEWEB2}, min_doc_words: 20}}
dedup: {{num_buckets: 2}}
output: {{path: {out}}}
tasks: 2
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture()
def local_ray(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")  # offline: no usage report
    # Ray's dashboard asks the cloud metadata address (169.254.169.254) which cloud it runs on
    # unless ~/ray_bootstrap_config.yaml names the provider: give the cluster a home that does,
    # so the suite's network guard sees no connection outside loopback.
    home = tmp_path / "ray-home"
    home.mkdir()
    (home / "ray_bootstrap_config.yaml").write_text("provider: {type: local}\n")
    monkeypatch.setenv("HOME", str(home))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_ray_executor_builds_the_same_corpus(
    tmp_path: Path, small_inputs: Path, local_ray: None
) -> None:
    local = load_recipe(recipe(tmp_path / "l.yaml", small_inputs, tmp_path / "local"))
    build(local, RunOptions(workers=1))
    on_ray = load_recipe(recipe(tmp_path / "r.yaml", small_inputs, tmp_path / "ray"))
    # 0.25 GB per CPU: the default 2 GB would ask for more memory than a CI runner offers
    out = build(on_ray, RunOptions(executor="ray", workers=2, extra={"mem_per_cpu_gb": 0.25}))
    expected = corpus_rows(tmp_path / "local")
    assert expected, "the local build wrote a corpus"
    assert corpus_rows(out) == expected
    assert (out / "datacard.json").is_file()
