"""Errors raised while turning a file into text for a knowledge base.

Each message names the file, says what is wrong with it and what the user can do, because it is
shown as-is by the CLI and in the gateway's OpenAI-shaped error body. All are 400-class: the
file is the problem, not the server.
"""

from __future__ import annotations

from pathlib import Path

from agadir.errors import InvalidRequestError


class KnowledgeError(InvalidRequestError):
    """Base class for knowledge-base input problems."""

    code = "knowledge_bad_document"


class UnsupportedFormatError(KnowledgeError):
    """The file's suffix or content is not one of the formats we can extract."""

    status_code = 415
    code = "unsupported_format"


class DocumentTooLargeError(KnowledgeError):
    """The file is over the size limit; refused before a byte of it is read."""

    status_code = 413
    code = "document_too_large"


class ExpansionLimitError(DocumentTooLargeError):
    """The file would expand into more text than its size allows (a decompression bomb)."""

    code = "document_expands_too_much"


class EmptyDocumentError(KnowledgeError):
    """The file holds no extractable text (empty file, blank pages, scanned images)."""

    code = "empty_document"


class EncryptedDocumentError(KnowledgeError):
    """The file is password-protected; we never try to guess passwords."""

    code = "encrypted_document"


class CorruptDocumentError(KnowledgeError):
    """The file claims a format but cannot be parsed (truncated, damaged, mislabelled)."""

    code = "corrupt_document"


class BinaryContentError(KnowledgeError):
    """A text-format file whose bytes are not text (NUL bytes, control characters)."""

    code = "binary_content"


def describe(path: Path) -> str:
    """How a file is named in messages: its name only, so server paths do not leak to clients."""
    return repr(path.name)
