"""The runner over real HTTP against a second server process: retries, MCQ modes, the cache,
resumption after SIGKILL, failures with clear messages and a non-zero exit, compare, record.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from agadir.evals.errors import EndpointError
from agadir.evals.runner import RunConfig
from agadir.evals.session import evaluate
from agadir.evals.task import load_task
from tests.evals.conftest import Upstream, write_task
from tests.servers import free_port

Start = Callable[..., Upstream]
WORDS = [("salam", "سلام"), ("chokran", "شكرا"), ("bslama", "بسلامة"), ("mrhba", "مرحبا")]


def translit_samples(n: int) -> list[dict[str, str]]:
    return [
        {"id": f"s{i}", "source": f"{WORDS[i % 4][0]} {i}", "target": f"{WORDS[i % 4][1]} {i}"}
        for i in range(n)
    ]


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agadir.cli.main", "eval", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def config(up: Upstream, tmp_path: Path, **kw: object) -> RunConfig:
    return RunConfig(endpoint=up.url, model="up-model", cache_path=tmp_path / "c.sqlite", **kw)  # type: ignore[arg-type]


async def test_retry_after_is_honoured(upstream: Start, tmp_path: Path) -> None:
    up = upstream(UP_FAIL_FIRST="2", UP_RETRY_AFTER="1")
    task = load_task(write_task(tmp_path, "t", translit_samples(1)))
    started = time.monotonic()
    report = await evaluate([task], config(up, tmp_path, concurrency=1))
    assert time.monotonic() - started >= 2.0  # two 429s, each asking for one second
    assert report["retries"] == 2 and report["tasks"][0]["n"] == 1
    assert len(up.asked()) == 1


async def test_persistent_503_stops_the_run_with_a_clear_error(
    upstream: Start, tmp_path: Path
) -> None:
    up = upstream(UP_FAIL_FIRST="1000", UP_FAIL_STATUS="503", UP_RETRY_AFTER="0")
    task = load_task(write_task(tmp_path, "t", translit_samples(3)))
    with pytest.raises(EndpointError, match="HTTP 503 after 3 attempt"):
        await evaluate([task], config(up, tmp_path, max_retries=2))


def test_unreachable_endpoint_exits_non_zero(tmp_path: Path) -> None:
    path = write_task(tmp_path, "t", translit_samples(2))
    port = free_port()  # closed again: nothing listens there
    done = cli(
        "run",
        str(path),
        "-m",
        "m",
        "--endpoint",
        f"http://127.0.0.1:{port}/v1",
        "--cache",
        str(tmp_path / "c.sqlite"),
        "--out",
        str(tmp_path / "out"),
    )
    assert done.returncode != 0
    assert f"Cannot reach http://127.0.0.1:{port}/v1" in done.stderr
    assert not (tmp_path / "out").exists()


async def test_unknown_model_is_refused_before_any_request(upstream: Start, tmp_path: Path) -> None:
    up = upstream()
    task = load_task(write_task(tmp_path, "t", translit_samples(2)))
    cfg = config(up, tmp_path)
    cfg.model = "gpt-9"
    with pytest.raises(
        EndpointError, match="does not serve the model 'gpt-9'; it serves: up-model"
    ):
        await evaluate([task], cfg)
    assert up.asked() == []


MCQ = [{"id": "q1", "text": "salam", "choices": ["a bb", "ccc", "dd"], "answer": 2}]


async def test_mcq_loglik_by_hand(upstream: Start, tmp_path: Path) -> None:
    up = upstream()  # logprob of each word = -len(word)
    task = load_task(
        write_task(
            tmp_path, "m", MCQ, request="mcq", scorer="mcq", prompt="Q: {text}\nA:", reference=None
        )
    )
    report = (await evaluate([task], config(up, tmp_path)))["tasks"][0]
    assert report["modes"] == {"loglik": 1}
    # " a bb" -3, " ccc" -3, " dd" -2 -> acc picks dd; per choice char -0.75, -1, -1 -> "a bb"
    assert report["metrics"]["acc"]["value"] == 1.0
    assert report["metrics"]["acc_norm"]["value"] == 0.0
    assert report["samples"][0]["output"]["logprobs"] == [-3.0, -3.0, -2.0]
    assert report["samples"][0]["output"]["split"] == "text"  # no /tokenize upstream
    assert report["slices"]["mode"]["loglik"]["acc"]["n"] == 1


@pytest.mark.parametrize("where", ["1", "root"])  # Agadir's /v1/tokenize, vLLM's /tokenize
async def test_mcq_loglik_by_token_ids_where_the_endpoint_tokenizes(
    upstream: Start, tmp_path: Path, where: str
) -> None:
    up = upstream(UP_TOKENIZE=where)  # one token per word, logprob -len(word)
    task = load_task(
        write_task(
            tmp_path, "m", MCQ, request="mcq", scorer="mcq", prompt="Q: {text}\nA:", reference=None
        )
    )
    output = (await evaluate([task], config(up, tmp_path)))["tasks"][0]["samples"][0]["output"]
    # lm-eval's split: the context alone ends in "A:", joined with " a bb" it ends in "A: ";
    # the continuation is what follows the context's 3 tokens ("a ", "bb"), scored by ids
    assert output["split"] == "tokens"
    assert output["logprobs"] == [-3.0, -3.0, -2.0]
    assert output["lengths"] == [4, 3, 2]
    asked = up.asked()
    assert [a["kind"] for a in asked] == ["completion_ids"] * 3
    assert sorted(a["content"] for a in asked) == [
        f"Q: salam\nA: {c}" for c in ("a bb", "ccc", "dd")
    ]


async def test_mcq_falls_back_to_letters_and_says_so(upstream: Start, tmp_path: Path) -> None:
    up = upstream(UP_NO_ECHO="1")
    samples = [{**MCQ[0], "answer": 0}]
    task = load_task(
        write_task(
            tmp_path, "m", samples, request="mcq", scorer="mcq", prompt="{text}", reference=None
        )
    )
    report = (await evaluate([task], config(up, tmp_path)))["tasks"][0]
    assert report["modes"] == {"letter": 1}
    # the upstream echoes the question, whose first option letter is A
    assert report["metrics"]["acc"]["value"] == 1.0
    assert "A. a bb" in up.asked()[0]["content"]


async def test_rerun_is_served_from_the_cache(upstream: Start, tmp_path: Path) -> None:
    up = upstream()
    task = load_task(write_task(tmp_path, "t", translit_samples(12)))
    first = (await evaluate([task], config(up, tmp_path)))["tasks"][0]
    second = (await evaluate([task], config(up, tmp_path)))["tasks"][0]
    assert (first["asked"], first["cached"]) == (12, 0)
    assert (second["asked"], second["cached"]) == (0, 12)
    assert len(up.asked()) == 12
    assert second["metrics"] == first["metrics"]
    other = (await evaluate([task], config(up, tmp_path, temperature=0.7)))["tasks"][0]
    assert other["asked"] == 12  # decoding parameters are part of the key


def test_resume_after_sigkill_asks_each_sample_once(upstream: Start, tmp_path: Path) -> None:
    port = free_port()
    hung = upstream(UP_HANG_AFTER="5", UP_PORT=str(port))
    path = write_task(tmp_path, "t", translit_samples(20))
    cache = tmp_path / "c.sqlite"
    args = [
        "run",
        str(path),
        "-m",
        "up-model",
        "--endpoint",
        hung.url,
        "--cache",
        str(cache),
        "--concurrency",
        "3",
        "--out",
        str(tmp_path / "out"),
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "agadir.cli.main", "eval", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(hung.asked()) < 5 or _cached(cache) < 5:
        assert time.monotonic() < deadline, "the first run never got its 5 answers"
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    hung.process.kill()
    hung.process.wait()
    assert _cached(cache) == 5
    fresh = upstream(UP_PORT=str(port))  # same address, so the same cache keys
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    asked = Counter(a["content"] for a in fresh.asked())  # both runs log to one file
    assert len(asked) == 20 and set(asked.values()) == {1}
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    task = report["tasks"][0]
    assert (task["n"], task["cached"], task["asked"]) == (20, 5, 15)


def _cached(path: Path) -> int:
    import sqlite3

    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_cli_report_compare_and_no_key_in_reports(upstream: Start, tmp_path: Path) -> None:
    up = upstream()
    secret = "sk-eval-secret-3141"
    samples = translit_samples(30)
    runs = {}
    for label, prompt in (("echo-source", "{source}"), ("echo-target", "{target}")):
        path = write_task(tmp_path / label, "translit", samples, prompt=prompt)
        out = tmp_path / f"run-{label}"
        done = cli(
            "run",
            str(path),
            "-m",
            "up-model",
            "--endpoint",
            up.url,
            "--out",
            str(out),
            "--cache",
            str(tmp_path / "c.sqlite"),
            env={"AGADIR_EVAL_API_KEY": secret},
        )
        assert done.returncode == 0, done.stderr
        assert "| exact ↑ |" in done.stdout
        runs[label] = out
        for produced in out.iterdir():
            assert secret.encode() not in produced.read_bytes()
        assert (out / "translit.png").stat().st_size > 1000
    report = json.loads((runs["echo-target"] / "report.json").read_text())
    assert report["tasks"][0]["metrics"]["exact"]["value"] == 1.0
    done = cli(
        "compare",
        str(runs["echo-source"]),
        str(runs["echo-target"]),
        "--out",
        str(tmp_path / "cmp"),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    exact = result["tasks"][0]["metrics"]["exact"]["runs"]
    (cell,) = exact.values()
    assert cell["delta"] == 1.0 and cell["p_permutation"] < 0.01
    assert (tmp_path / "cmp" / "compare.png").is_file()


def test_record_into_the_model_manifest(upstream: Start, tmp_path: Path) -> None:
    up = upstream()
    path = write_task(tmp_path, "translit", translit_samples(4), prompt="{target}")
    home = {"AGADIR_HOME": str(tmp_path / "home")}
    done = cli(
        "run",
        str(path),
        "-m",
        "up-model",
        "--endpoint",
        up.url,
        "--out",
        str(tmp_path / "out"),
        "--record",
        "smollm2-135m-instruct",
        env=home,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads(
        next((tmp_path / "home" / "models").glob("smollm2-135m-instruct*.json")).read_text()
    )
    (entry,) = manifest["evals"]
    assert entry["tasks"]["translit"]["metrics"]["exact"]["value"] == 1.0
    assert entry["served_model"] == "up-model"
