"""Task files: a small YAML naming the samples, the prompt, the scorer and the slices.

    name: translate-ary_Arab-eng
    version: 1
    samples: data/translate-ary_Arab-eng.jsonl   # relative to the YAML file
    request: chat                                # chat | mcq | grounded
    prompt: "Translate this Moroccan Darija sentence into English: {source}"
    scorer: translation                          # see scorers/registry.py
    reference: target                            # the sample field scorers compare with
    slices: [origin]                             # sample fields results are broken down by

Samples are JSONL objects with a unique ``id``; the prompt is ``str.format`` over the sample's
fields. An unknown key is an error naming the allowed ones: a misspelt ``slice:`` silently
ignored would report numbers for a task the author did not write.
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agadir.evals.errors import TaskError

BUILTIN_DIR = Path(__file__).parent / "tasks"
RequestKind = Literal["chat", "mcq", "grounded"]


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
    version: int = Field(1, ge=1, description="Bump when samples or prompt change: keys the cache.")
    description: str = ""
    samples: str
    request: RequestKind = "chat"
    prompt: str
    system: str | None = None
    question: str | None = None  # MCQ letter-mode question template (default: the prompt)
    scorer: str
    reference: str | None = None
    slices: list[str] = Field(default_factory=list)
    max_tokens: int = Field(96, ge=1, le=4096)
    stop: list[str] = Field(default_factory=list)
    licence: str = "unknown"
    source: str = ""


ALLOWED_KEYS = tuple(TaskSpec.model_fields)


@dataclass(frozen=True)
class Task:
    spec: TaskSpec
    path: Path
    samples: list[dict[str, Any]]

    @property
    def name(self) -> str:
        return self.spec.name

    def render(self, sample: dict[str, Any]) -> str:
        return self.spec.prompt.format_map(sample)

    def fingerprint(self) -> str:
        """Changes whenever the spec or any sample changes (part of every cache key)."""
        digest = hashlib.sha256(self.spec.model_dump_json().encode())
        for sample in self.samples:
            digest.update(json.dumps(sample, sort_keys=True, ensure_ascii=False).encode())
        return digest.hexdigest()[:16]


def builtin_tasks() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.yaml"))}


def resolve(ref: str) -> list[Path]:
    """A shipped task name, ``all``, or a path to a YAML file."""
    shipped = builtin_tasks()
    if ref == "all":
        return list(shipped.values())
    if ref in shipped:
        return [shipped[ref]]
    path = Path(ref).expanduser()
    if path.is_file():
        return [path]
    names = ", ".join(shipped) or "none"
    raise TaskError(f"No task '{ref}': give a YAML file or one of the shipped tasks: {names}.")


def load_task(path: Path) -> Task:
    spec = _spec(path)
    samples_path = (path.parent / spec.samples).resolve()
    if not samples_path.is_file():
        raise TaskError(f"{path}: samples file '{spec.samples}' not found at {samples_path}.")
    samples = _samples(samples_path)
    _check_fields(path, spec, samples)
    return Task(spec, path, samples)


def _spec(path: Path) -> TaskSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TaskError(f"{path}: not a readable YAML file ({exc}).") from exc
    if not isinstance(data, dict):
        raise TaskError(f"{path}: a task file is a mapping of keys ({', '.join(ALLOWED_KEYS)}).")
    unknown = sorted(set(map(str, data)) - set(ALLOWED_KEYS))
    if unknown:
        raise TaskError(
            f"{path}: unknown key(s) {', '.join(unknown)}; allowed keys: {', '.join(ALLOWED_KEYS)}."
        )
    try:
        spec = TaskSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise TaskError(f"{path}: {problems}.") from exc
    from agadir.evals.scorers.registry import SCORERS

    if spec.scorer not in SCORERS:
        raise TaskError(
            f"{path}: unknown scorer '{spec.scorer}'; available: {', '.join(sorted(SCORERS))}."
        )
    return spec


def _samples(path: Path) -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                sample = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskError(f"{path}:{number}: not a JSON object ({exc.msg}).") from exc
            if not isinstance(sample, dict) or "id" not in sample:
                raise TaskError(f"{path}:{number}: each sample is a JSON object with an 'id'.")
            sample["id"] = str(sample["id"])
            if sample["id"] in seen:
                raise TaskError(f"{path}:{number}: duplicate sample id '{sample['id']}'.")
            seen.add(sample["id"])
            samples.append(sample)
    if not samples:
        raise TaskError(f"{path}: no samples.")
    return samples


def _check_fields(path: Path, spec: TaskSpec, samples: list[dict[str, Any]]) -> None:
    """Fail before any request if a sample lacks a field the prompt, scorer or a slice uses."""
    wanted = {f for _, f, _, _ in string.Formatter().parse(spec.prompt) if f}
    wanted |= set(spec.slices)
    if spec.reference:
        wanted.add(spec.reference)
    if spec.request == "mcq":
        wanted |= {"choices", "answer"}
    if spec.request == "grounded":
        wanted.add("kb")
    for sample in samples:
        missing = sorted(wanted - set(sample))
        if missing:
            raise TaskError(
                f"{path}: sample '{sample['id']}' lacks field(s) {', '.join(missing)} "
                "used by the prompt, the reference, the slices or the request kind."
            )
        if spec.request == "mcq":
            choices, answer = sample["choices"], sample["answer"]
            if not (isinstance(choices, list) and len(choices) >= 2):
                raise TaskError(f"{path}: sample '{sample['id']}': 'choices' needs 2+ strings.")
            if not (isinstance(answer, int) and 0 <= answer < len(choices)):
                raise TaskError(
                    f"{path}: sample '{sample['id']}': 'answer' is the index of the right choice."
                )
