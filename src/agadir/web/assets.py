"""The web page's static files, read once from the package and kept gzipped in memory.

Why not Starlette's `StaticFiles`: the gateway composes routers, not mounts, and we want three
things `StaticFiles` does not give together: a fixed allow-list (only files that ship in
`agadir/web/static`, so a crafted path can never reach anything else), gzip done once at load
(the page weight the benchmark reports is what goes over the wire), and an ETag per file so a
reload costs a 304. The bundle is immutable after loading; nothing here does request I/O.

Not handled: range requests, Brotli, cache-busting file names (assets are small and revalidated
with their ETag instead).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agadir.errors import NotFoundError

STATIC_DIR = Path(__file__).parent / "static"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}
# Fonts are already compact binary tables; gzip gains little but we still offer it.
_MIN_GZIP_BYTES = 256


class AssetNotFoundError(NotFoundError):
    """A path outside the shipped assets (unknown file, traversal attempt, hidden file)."""

    code = "asset_not_found"


@dataclass(frozen=True)
class Asset:
    """One file: its bytes, gzipped bytes (None when gzip would not help) and validators."""

    path: str
    content_type: str
    body: bytes
    gzipped: bytes | None
    etag: str

    @property
    def is_font(self) -> bool:
        return self.content_type.startswith("font/")

    @property
    def wire_size(self) -> int:
        """Bytes a gzip-capable browser downloads for this file."""
        return len(self.gzipped) if self.gzipped is not None else len(self.body)


class AssetBundle:
    """Every servable file under a directory, keyed by its POSIX path relative to it."""

    def __init__(self, assets: dict[str, Asset]) -> None:
        self._assets = assets

    @classmethod
    def load(cls, root: Path = STATIC_DIR) -> AssetBundle:
        assets: dict[str, Asset] = {}
        for file in sorted(root.rglob("*")):
            rel = file.relative_to(root).as_posix()
            content_type = CONTENT_TYPES.get(file.suffix)
            if not file.is_file() or content_type is None or rel.startswith(".") or "/." in rel:
                continue
            body = file.read_bytes()
            packed = gzip.compress(body, compresslevel=9, mtime=0)
            useful = len(body) >= _MIN_GZIP_BYTES and len(packed) < len(body)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            assets[rel] = Asset(rel, content_type, body, packed if useful else None, etag)
        return cls(assets)

    def get(self, path: str) -> Asset:
        asset = self._assets.get(path)
        if asset is None:
            raise AssetNotFoundError(f"no such web asset: {path!r}")
        return asset

    def __iter__(self) -> Iterator[Asset]:
        return iter(self._assets.values())

    def paths(self) -> list[str]:
        return sorted(self._assets)

    def wire_bytes(self, *, fonts: bool) -> int:
        """Total gzipped weight of the fonts (fonts=True) or of everything else."""
        return sum(a.wire_size for a in self._assets.values() if a.is_font == fonts)


@lru_cache(maxsize=4)
def bundle(root: Path = STATIC_DIR) -> AssetBundle:
    """The bundle for `root`, loaded on first use (not at import) and shared: it is immutable."""
    return AssetBundle.load(root)
