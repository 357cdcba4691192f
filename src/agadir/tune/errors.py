"""Typed errors of `agadir tune`, mapped once to CLI messages by `agadir.cli.main`."""

from __future__ import annotations

from agadir.errors import AgadirError, InvalidRequestError


class TuneRecipeError(InvalidRequestError):
    """A tuning recipe is missing, is not YAML, or names a key or value we do not know."""


class TuneDataError(InvalidRequestError):
    """Training data is missing, empty, or has no usable line; the message names the file."""


class BaseModelError(InvalidRequestError):
    """The base model is neither a model-store name, a GGUF file, nor a Hugging Face folder."""


class TuneUnavailableError(AgadirError):
    """A dependency or device the recipe needs is absent; the message gives the fix."""

    status_code = 503
    error_type = "tune_unavailable"


INSTALL_HINT = "pip install 'torch==2.13.0' && pip install 'agadir[tune]'"
