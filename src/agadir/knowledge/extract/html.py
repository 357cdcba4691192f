"""HTML pages: the main content (trafilatura drops menus, footers, scripts), `<title>` as title.

trafilatura is tuned for articles; a page that is all table or all list (a price list, a
directory) can come back empty, in which case the whole page's visible text is taken instead
(`meta["html_mode"]` says which). Not handled: JavaScript-rendered content and frames.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Final

from agadir.knowledge.extract.sniff import decode_text

_TITLE: Final = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG: Final = re.compile(r"<[^>]+>")


def extract_html(raw: bytes, path: Path) -> tuple[str, str | None, dict[str, str]]:
    """Main text, the `<title>` (None if absent) and meta (encoding, html_mode)."""
    from trafilatura import extract, html2txt

    markup, encoding = decode_text(raw, path)
    match = _TITLE.search(markup)
    title = html_lib.unescape(_TAG.sub("", match.group(1))).strip() if match else None
    text = extract(markup, include_comments=False, include_tables=True, favor_recall=True)
    mode = "main"
    if not text or not text.strip():
        text = html2txt(markup) or ""
        mode = "full"
    return text, title or None, {"encoding": encoding, "html_mode": mode}
