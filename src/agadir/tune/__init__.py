"""Adapt a model to local data: recipes, data loading, LoRA / full / continued-pretraining runs.

Heavy imports (torch, transformers, TRL, PEFT) happen inside the functions that need them, so
`agadir --help` and recipe validation work without the `tune` extra.
"""
