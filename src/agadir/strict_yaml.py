"""Strict YAML files validated by pydantic models: corpus recipes and tune recipes.

Why one module: a recipe with a misspelt key must fail with a message that names the key and
the keys allowed at that place, the same way for every kind of recipe. Both recipe kinds read
the file, reject non-mappings and explain pydantic's errors through this one path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def allowed_keys(
    root: type[BaseModel],
    loc: tuple[int | str, ...],
    tags: Mapping[str, type[BaseModel]] | None = None,
) -> list[str]:
    """Field names valid at `loc`, walking nested models from `root`. `tags` maps the tag of a
    discriminated union (pydantic puts it in `loc`) to its member model."""
    model = root
    for part in loc:
        if isinstance(part, int):
            continue
        if tags and part in tags and part not in model.model_fields:
            model = tags[part]
            continue
        field = model.model_fields.get(part)
        if field is None:
            break
        candidates = getattr(field.annotation, "__args__", (field.annotation,))
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if nested:
            model = nested[0]
    return sorted(model.model_fields)


def explain(
    exc: ValidationError,
    root: type[BaseModel],
    tags: Mapping[str, type[BaseModel]] | None = None,
) -> str:
    """pydantic's errors as one line: an unknown key names the keys allowed where it stands."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(allowed_keys(root, loc[:-1], tags))
            problems.append(f"unknown key {where!r}; allowed here: {allowed}")
        else:
            problems.append(f"{where}: {err['msg']}")
    return "; ".join(problems)


def load_strict(
    path: Path,
    model: type[M],
    error: type[Exception],
    tags: Mapping[str, type[BaseModel]] | None = None,
) -> M:
    """Read `path` as YAML and validate it as `model`; every failure is an `error` whose
    message says what is wrong and where."""
    try:
        raw: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"cannot read recipe {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise error(f"recipe {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise error(f"recipe {path} must be a mapping of keys, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"recipe {path}: {explain(exc, model, tags)}") from exc
