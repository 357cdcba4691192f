"""Where LoRA adapters go: linear layers, and on MoE models the experts' fused weights too.

Why a separate step for experts: since transformers 5, MoE blocks (Mixtral, Qwen-MoE…) hold
their experts as fused 3-D parameters (``mlp.experts.gate_up_proj`` of shape
``experts × out × in``), not as ``nn.Linear`` modules, so ``target_modules: all-linear`` reaches
only attention. PEFT's ``target_parameters`` wraps such parameters with a LoRA pair per expert;
`expert_parameters` finds them by shape, so no per-architecture table is kept here. PEFT's
parameter wrapper cannot apply dropout (it cannot factor the input out), so a recipe that
targets experts trains with ``lora.dropout`` 0; an explicit non-zero dropout is refused.

Not handled: MoE models whose experts are still ``nn.Linear`` modules in a list (older
transformers or remote code): ``all-linear`` already covers those.
"""

from __future__ import annotations

from typing import Any

from agadir.tune.errors import TuneRecipeError
from agadir.tune.recipe import LoraSpec

DEFAULT_DROPOUT = 0.05


def expert_parameters(model: Any) -> list[str]:
    """``experts.<param>`` names of the fused 3-D expert weights in ``model`` (empty if dense)."""
    found = set()
    for name, param in model.named_parameters():
        module, _, param_name = name.rpartition(".")
        if param.ndim == 3 and module.rsplit(".", 1)[-1] == "experts":
            found.add(f"experts.{param_name}")
    return sorted(found)


def lora_config(spec: LoraSpec, model: Any) -> Any:
    """PEFT's ``LoraConfig`` for ``model``: ``spec.target_modules``, plus the experts if asked."""
    from peft import LoraConfig

    experts = expert_parameters(model) if spec.experts else []
    dropout = spec.dropout
    if experts and dropout:
        raise TuneRecipeError(
            f"lora.dropout {dropout} cannot apply to expert weights ({', '.join(experts)}): set "
            "lora.dropout to 0 (or leave it out), or lora.experts to false for attention only"
        )
    if dropout is None:
        dropout = 0.0 if experts else DEFAULT_DROPOUT
    return LoraConfig(
        r=spec.r,
        lora_alpha=spec.alpha,
        lora_dropout=dropout,
        target_modules=spec.target_modules,
        target_parameters=experts or None,
        task_type="CAUSAL_LM",
    )
