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


class ExportError(AgadirError):
    """`agadir tune export` could not produce a GGUF; the message says why and what to do."""

    status_code = 500
    error_type = "export_error"


class UnknownArchitectureError(ExportError):
    """llama.cpp's converter has no GGUF mapping for the model's architecture."""

    status_code = 400
    error_type = "invalid_request_error"


class DiskFullError(ExportError):
    """The export folder's file system ran out of space (or a file-size limit was hit)."""

    status_code = 507
    error_type = "insufficient_storage"
