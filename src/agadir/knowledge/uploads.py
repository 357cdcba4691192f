"""Uploaded files -> a staging folder under safe names, each refusal a per-file outcome.

Why a module of its own: an upload is the one place file names come from a stranger. A name is
reduced to its last path component, NFC, without control, bidi or other format characters (an
ESC or U+202E in a stored document name reaches terminals and pages), and to at most 255 UTF-8
bytes (the file-system limit; the extension is kept). Each file is copied in blocks with its
size checked as it goes, and any problem with one file (a name that is nothing once cleaned, a
duplicate, a size over the limit, a disk error) becomes that file's outcome: the other files of
the upload are staged all the same. Nothing here imports FastAPI: an upload is anything with a
``filename`` and a binary ``file``.
"""

from __future__ import annotations

import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final, Protocol

from agadir.knowledge.ingest import FileOutcome

NAME_MAX_BYTES: Final = 255
_SUFFIX_MAX: Final = 16
_BLOCK: Final = 1 << 20
# Zero-width (non-)joiners are format characters that spell words in some scripts: kept.
_KEPT_FORMAT: Final = frozenset("\u200c\u200d")
_DROPPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class UploadedFile(Protocol):
    """What an upload must offer (Starlette's `UploadFile` does)."""

    filename: str | None
    file: BinaryIO


def safe_name(raw: str | None) -> str | None:
    """A storable document name from a client's file name, or None when nothing usable is left.

    >>> safe_name("../x/\\x1b[31mre\\u202eport.md")
    '[31mreport.md'
    """
    if not raw:
        return None
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(
        ch
        for ch in name
        if ch in _KEPT_FORMAT or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    ).strip()
    if name in ("", ".", ".."):
        return None
    return _fit(name, NAME_MAX_BYTES)


def _fit(name: str, limit: int) -> str:
    """`name` cut to `limit` UTF-8 bytes at a character boundary, its extension kept."""
    if len(name.encode("utf-8")) <= limit:
        return name
    suffix = Path(name).suffix
    if len(suffix) > _SUFFIX_MAX or len(suffix) == len(name):
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    room = limit - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip() + suffix


@dataclass(frozen=True)
class StagedFile:
    path: Path
    name: str
    source: str
    size: int


@dataclass
class StagedUpload:
    """Files copied to a private folder, ready to ingest; `discard` removes the folder."""

    kb: str
    folder: Path
    files: list[StagedFile] = field(default_factory=list)
    refused: list[FileOutcome] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _copy_limited(src: BinaryIO, dest: Path, limit: int) -> int | None:
    """Copy at most `limit` bytes and return the size; None (and no file left) when `src`
    holds more."""
    written = 0
    with dest.open("wb") as out:
        while block := src.read(_BLOCK):
            written += len(block)
            if written > limit:
                break
            out.write(block)
    if written > limit:
        dest.unlink()
        return None
    return written


def stage_uploads(kb: str, uploads: list[UploadedFile], *, max_file_bytes: int) -> StagedUpload:
    """Copy each upload under its safe name into a new temporary folder (blocking I/O: call it
    from a worker thread). The caller owns the folder and must `discard` it."""
    staged = StagedUpload(kb, Path(tempfile.mkdtemp(prefix="agadir-upload-")))
    seen: set[str] = set()

    def refuse(name: str, reason: str) -> None:
        staged.refused.append(FileOutcome(name=name, source="", status="skipped", reason=reason))

    for i, upload in enumerate(uploads):
        name = safe_name(upload.filename)
        if name is None:
            shown = "".join(ch if ch.isprintable() else "?" for ch in repr(upload.filename))
            refuse(shown[:80], "not a usable file name")
            continue
        if name in seen:
            refuse(name, "duplicate name in this upload")
            continue
        seen.add(name)
        path = staged.folder / f"{i:04d}" / name
        try:
            path.parent.mkdir()
            upload.file.seek(0)
            size = _copy_limited(upload.file, path, max_file_bytes)
        except OSError as exc:
            refuse(name, f"could not be stored for ingestion ({exc.strerror or exc})")
            continue
        if size is None:
            refuse(name, f"larger than knowledge.max_file_bytes ({max_file_bytes} bytes)")
            continue
        staged.files.append(StagedFile(path, name, f"upload://{kb}/{name}", size))
    return staged
