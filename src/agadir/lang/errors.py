"""Errors raised by `agadir.lang`; all subclass `AgadirError` so CLI and gateway map them once."""

from __future__ import annotations

from agadir.errors import InvalidRequestError, ModelFileError


class LangInputError(InvalidRequestError):
    """The text given to a language tool cannot be processed (bad type, too long, bad option)."""

    code = "lang_bad_input"


class LangModelError(ModelFileError):
    """A packaged language artefact (LID weights, transliteration LM) is missing or corrupt."""

    code = "lang_artefact"
