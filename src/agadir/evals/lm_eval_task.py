"""An lm-evaluation-harness task over a shipped MCQ task's samples, for cross-checking.

Why: `agadir eval` claims the same log-likelihood accuracy as lm-eval on the same items; the
interop test and the throughput benchmark both need lm-eval to see exactly those items, with
the prompt `agadir eval` uses for MCQ (`{question_lang}: {text}\\n{answer_lang}:`). One writer
keeps the two from drifting apart, and gives users a starting point for their own lm-eval task.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_TEMPLATE = """\
task: {name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{question_lang}}}}: {{{{text}}}}\\n{{{{answer_lang}}}}:"
doc_to_choice: choices
doc_to_target: answer
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
"""


def write_lm_eval_task(folder: Path, name: str, items: Sequence[dict[str, Any]]) -> Path:
    """Write `items` (MCQ samples: text, choices, answer, question_lang, answer_lang) and an
    lm-eval task YAML named `name` under `folder`; returns the folder to pass as
    `--include_path`."""
    tasks = folder / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    data = folder / f"{name}.jsonl"
    data.write_text(
        "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8"
    )
    (tasks / f"{name}.yaml").write_text(_TEMPLATE.format(name=name, data=data), encoding="utf-8")
    return tasks
