"""Tuning recipes: which base model, which data, which method, which hyper-parameters, where to.

Validated with pydantic (``extra="forbid"`` everywhere), so a typo is an error naming the key and
the keys allowed there. Relative paths resolve against the recipe's folder. The base model is a
model-store name, a ``.gguf`` file, or a Hugging Face folder; it is resolved later (`base`),
since resolving needs the store. Example: ``recipes/tune-darija-lora.yaml``; docs/tune.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agadir.tune.errors import TuneRecipeError

Method = Literal["lora", "qlora", "full", "cpt"]
Device = Literal["auto", "cpu", "cuda"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatData(_Strict):
    """JSONL, one ``{"messages": [{"role", "content"}, ...]}`` conversation a line."""

    kind: Literal["chat"]
    path: Path
    max_examples: int | None = Field(default=None, ge=1)
    license: str = "unknown"  # declared licence, carried into an exported model's lineage


class ParallelData(_Strict):
    """A TSV with a header row naming language columns; each row gives translation prompts."""

    kind: Literal["parallel"]
    path: Path
    source: str
    target: str
    both_directions: bool = True
    max_examples: int | None = Field(default=None, ge=1)
    license: str = "unknown"  # declared licence, carried into an exported model's lineage


class CorpusData(_Strict):
    """A corpus-builder output folder (``data/{lang}/*.jsonl[.gz]``) for continued pretraining."""

    kind: Literal["corpus"]
    path: Path
    languages: list[str] = Field(default_factory=list)
    max_examples: int | None = Field(default=None, ge=1)
    license: str = "unknown"  # declared licence, carried into an exported model's lineage


DataSpec = Annotated[ChatData | ParallelData | CorpusData, Field(discriminator="kind")]


class LoraSpec(_Strict):
    """Adapter shape; ``target_modules: all-linear`` covers attention and MLP (experts too)."""

    r: int = Field(default=8, ge=1)
    alpha: int = Field(default=16, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: str | list[str] = "all-linear"


class TrainSpec(_Strict):
    """Optimisation; ``max_steps`` wins over ``epochs`` when set."""

    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1)
    learning_rate: float = Field(default=2e-4, gt=0)
    batch_size: int = Field(default=4, ge=1)
    gradient_accumulation: int = Field(default=1, ge=1)
    max_length: int = Field(default=512, ge=8)
    packing: bool = True
    seed: int = 0
    logging_steps: int = Field(default=5, ge=1)
    eval_steps: int = Field(default=50, ge=1)
    save_steps: int = Field(default=50, ge=1)
    early_stop_patience: int | None = Field(default=3, ge=1)
    warmup_steps: int = Field(default=0, ge=0)


class TuneRecipe(_Strict):
    """A whole tuning run."""

    name: str
    base: str
    method: Method = "lora"
    data: list[DataSpec] = Field(min_length=1)
    eval_fraction: float = Field(default=0.05, gt=0.0, lt=0.5)
    templates: dict[str, str] = Field(default_factory=dict)
    lora: LoraSpec = LoraSpec()
    train: TrainSpec = TrainSpec()
    device: Device = "auto"
    output: Path

    def resolve(self, folder: Path) -> TuneRecipe:
        """A copy with relative paths made absolute against ``folder`` (the recipe's folder).

        ``base`` is made absolute only when it names something that exists there, since it may
        also be a model-store name.
        """

        def fix(p: Path) -> Path:
            return p if p.is_absolute() else (folder / p).resolve()

        copy = self.model_copy(deep=True)
        for spec in copy.data:
            spec.path = fix(spec.path)
        copy.output = fix(copy.output)
        if (folder / copy.base).exists():
            copy.base = str(fix(Path(copy.base)))
        return copy


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model that owns the key at ``loc`` (walking nested models)."""
    model: type[BaseModel] = TuneRecipe
    kinds: dict[str, type[BaseModel]] = {"chat": ChatData, "parallel": ParallelData}
    kinds["corpus"] = CorpusData
    for part in loc:
        if model is TuneRecipe and str(part) in kinds:  # pydantic puts the union's tag in loc
            model = kinds[str(part)]
            continue
        field = model.model_fields.get(str(part)) if not isinstance(part, int) else None
        if field is None:
            continue
        candidates = getattr(field.annotation, "__args__", (field.annotation,))
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if models:
            model = models[0]
    return sorted(model.model_fields)


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key {where!r}; allowed here: {', '.join(_fields_at(loc))}")
        else:
            problems.append(f"{where}: {err['msg']}")
    return "; ".join(problems)


def load_tune_recipe(path: Path) -> TuneRecipe:
    """Parse and validate a recipe; `TuneRecipeError` names the key and what is allowed."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TuneRecipeError(f"cannot read recipe {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise TuneRecipeError(f"recipe {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise TuneRecipeError(f"recipe {path} must be a mapping of keys, got {type(raw).__name__}")
    try:
        recipe = TuneRecipe.model_validate(raw)
    except ValidationError as exc:
        raise TuneRecipeError(f"recipe {path}: {_describe(exc)}") from exc
    if recipe.method == "cpt" and any(d.kind != "corpus" for d in recipe.data):
        raise TuneRecipeError(f"recipe {path}: method 'cpt' reads only data of kind 'corpus'")
    if recipe.method != "cpt" and any(d.kind == "corpus" for d in recipe.data):
        raise TuneRecipeError(
            f"recipe {path}: data of kind 'corpus' is raw text; use method 'cpt' for it"
        )
    return recipe.resolve(Path(path).resolve().parent)
