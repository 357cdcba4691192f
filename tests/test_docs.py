"""Docs that cannot rot: every setting is documented, the CLI reference is current."""

from __future__ import annotations

from pathlib import Path

from agadir.cli.reference import render
from agadir.config import KnowledgeSettings, LlamaCppSettings, Settings, VllmSettings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    nested = ("llamacpp", "knowledge", "vllm")
    names = [f"`{name}`" for name in Settings.model_fields if name not in nested]
    names += [f"`llamacpp.{name}`" for name in LlamaCppSettings.model_fields]
    names += [f"`knowledge.{name}`" for name in KnowledgeSettings.model_fields]
    names += [f"`vllm.{name}`" for name in VllmSettings.model_fields]
    missing = [n for n in names if n not in text]
    assert not missing, f"document these settings in docs/configuration.md: {missing}"


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text() == render(), (
        "docs/cli.md is stale: run `python -m agadir.cli.reference > docs/cli.md`"
    )
