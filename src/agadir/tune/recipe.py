"""Tuning recipes: which base model, which data, which method, which hyper-parameters, where to.

Validated with pydantic (``extra="forbid"`` everywhere), so a typo is an error naming the key and
the keys allowed there. Relative paths resolve against the recipe's folder. The base model is a
model-store name, a ``.gguf`` file, or a Hugging Face folder; it is resolved later (`base`),
since resolving needs the store. Example: ``recipes/tune-darija-lora.yaml``; docs/tune.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from agadir.strict_yaml import load_strict
from agadir.tune.errors import TuneRecipeError

Method = Literal["lora", "qlora", "full", "cpt", "embeddings"]
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
    """Adapter shape; ``target_modules: all-linear`` covers attention and dense MLPs.

    ``experts`` adds adapters on an MoE model's fused expert weights (`agadir.tune.lora_targets`);
    ``dropout`` left out is 0.05, or 0 when experts are targeted (PEFT cannot drop out there).
    """

    r: int = Field(default=8, ge=1)
    alpha: int = Field(default=16, ge=1)
    dropout: float | None = Field(default=None, ge=0.0, lt=1.0)
    target_modules: str | list[str] = "all-linear"
    experts: bool = True


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
    # chat and parallel data: loss on assistant turns only (prompts, system and user turns get
    # label -100); ignored for raw text (cpt, embeddings). See `agadir.tune.assistant_mask`.
    assistant_only_loss: bool = True


class EmbeddingStage(_Strict):
    """Stage 1 of a two-stage run: embeddings and LM head only, on raw target-language text.

    On a base written by `agadir tokenizer extend`, only the new rows learn; the LoRA stage then
    starts from its result. See `agadir.tune.tokenizer.stage`.
    """

    data: list[CorpusData] = Field(min_length=1)
    train: TrainSpec = TrainSpec()


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
    embedding_stage: EmbeddingStage | None = None
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
        stage_data = copy.embedding_stage.data if copy.embedding_stage else []
        for spec in [*copy.data, *stage_data]:
            spec.path = fix(spec.path)
        copy.output = fix(copy.output)
        if (folder / copy.base).exists():
            copy.base = str(fix(Path(copy.base)))
        return copy


def load_tune_recipe(path: Path) -> TuneRecipe:
    """Parse and validate a recipe; `TuneRecipeError` names the key and what is allowed."""
    kinds: dict[str, type[BaseModel]] = {"chat": ChatData, "parallel": ParallelData}
    kinds["corpus"] = CorpusData
    recipe = load_strict(path, TuneRecipe, TuneRecipeError, tags=kinds)
    raw_text = recipe.method in ("cpt", "embeddings")
    if raw_text and any(d.kind != "corpus" for d in recipe.data):
        raise TuneRecipeError(
            f"recipe {path}: method {recipe.method!r} reads only data of kind 'corpus'"
        )
    corpus = [d.kind == "corpus" for d in recipe.data]
    if recipe.method == "full" and any(corpus):
        raise TuneRecipeError(
            f"recipe {path}: data of kind 'corpus' is raw text; use method 'cpt' for it"
        )
    if recipe.method in ("lora", "qlora") and any(corpus) and not all(corpus):
        # one run learns either raw text (every token) or turns (the replies): not both
        raise TuneRecipeError(
            f"recipe {path}: a LoRA run reads either data of kind 'corpus' (LoRA continued "
            "pretraining) or chat/parallel data; split them into two runs"
        )
    if recipe.embedding_stage is not None and recipe.method not in ("lora", "qlora"):
        raise TuneRecipeError(
            f"recipe {path}: embedding_stage is stage 1 of a LoRA run; set method to lora or "
            f"qlora (got {recipe.method!r})"
        )
    return recipe.resolve(Path(path).resolve().parent)
