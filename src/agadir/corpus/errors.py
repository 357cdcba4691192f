"""Typed errors of the corpus builder, mapped once to CLI messages by `agadir.cli.main`."""

from __future__ import annotations

from agadir.errors import AgadirError, InvalidRequestError


class RecipeError(InvalidRequestError):
    """A recipe file is missing, is not YAML, or names a key or value we do not know."""


class CorpusRunError(AgadirError):
    """A pipeline stage failed; the message names the stage and where its logs are."""

    error_type = "corpus_run_error"
