"""Scorer names a task file may use, mapped to lazy import strings (sacrebleu loads on use)."""

from __future__ import annotations

import importlib
from typing import cast

from agadir.evals.scorers.base import Scorer

SCORERS = {
    "translation": "agadir.evals.scorers.translation:TranslationScorer",
    "translit": "agadir.evals.scorers.translit:TranslitScorer",
    "mcq": "agadir.evals.scorers.mcq:McqScorer",
    "grounded": "agadir.evals.scorers.grounded:GroundedScorer",
    "fidelity": "agadir.evals.scorers.fidelity:FidelityScorer",
    "pii_echo": "agadir.evals.scorers.pii:PiiEchoScorer",
}


def scorer(name: str) -> Scorer:
    module, _, attr = SCORERS[name].partition(":")
    return cast(Scorer, getattr(importlib.import_module(module), attr)())
