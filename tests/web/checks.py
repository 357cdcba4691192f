"""Checks every view must pass, in every interface language and at phone and desktop widths:
nothing wider than the screen, and zero axe-core accessibility violations.

axe-core is the npm package, not a copy in this repository: `make web-test-deps` (part of
`make test`) installs it under `.cache/web-test/`. When it is missing and `npm` is on the PATH
the first check installs it there (the npm registry is the only network this needs); otherwise
the check FAILS and says how to install it, like the Chromium check: a silent skip would let
accessibility regress unnoticed. It is injected with `page.evaluate`, which the page's strict
Content-Security-Policy does not apply to, so the page under test is the page users get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.14.1"  # keep in step with AXE_VERSION in the Makefile
AXE_PREFIX = ROOT / ".cache" / "web-test"
AXE = Path(os.environ.get("AGADIR_AXE", AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"))
INSTALL = [
    "npm",
    "install",
    "--silent",
    "--no-save",
    "--no-audit",
    "--no-fund",
    "--prefix",
    str(AXE_PREFIX),
    f"axe-core@{AXE_VERSION}",
]

# Rules that cannot judge this page fairly are listed here with the reason; none so far.
DISABLED_RULES: dict[str, str] = {}


@lru_cache(maxsize=1)
def axe_source() -> str:
    if not AXE.is_file() and shutil.which("npm") is not None:
        subprocess.run(INSTALL, check=False, timeout=300, capture_output=True)
    if not AXE.is_file():
        pytest.fail(
            f"axe-core not found at {AXE}: run `make web-test-deps` (or `{' '.join(INSTALL)}`), "
            "or point AGADIR_AXE at an axe.min.js.",
            pytrace=False,
        )
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """Every axe-core violation on the page as it is now: `rule (impact): targets`."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;void 0")
    results = page.evaluate(
        """async (disabled) => {
            const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
            const r = await axe.run(document, { resultTypes: ["violations"], rules });
            return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
                v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(" | "));
        }""",
        list(DISABLED_RULES),
    )
    return list(results)


def overflow(page: Page) -> dict[str, object] | None:
    """None when the page fits its viewport's width; else the widths and the culprits."""
    found = page.evaluate(
        """() => {
            const width = window.innerWidth;
            const scroll = document.documentElement.scrollWidth;
            if (scroll <= width) return null;
            const clipped = (el) => {
                if (['absolute', 'fixed'].includes(getComputedStyle(el).position)) return false;
                for (let p = el.parentElement; p && p !== document.body;
                                               p = p.parentElement) {
                    if (getComputedStyle(p).overflowX !== 'visible') return true; }
                return false; };
            const culprits = [...document.querySelectorAll('body *')]
                .filter((el) => { const r = el.getBoundingClientRect();
                                  return r.width > 0 && (r.right > width + 1 || r.left < -1)
                                      && !clipped(el); })
                .slice(0, 8)
                .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}` +
                             ` [${Math.round(el.getBoundingClientRect().left)},` +
                             ` ${Math.round(el.getBoundingClientRect().right)}]`);
            return { innerWidth: width, scrollWidth: scroll, culprits };
        }"""
    )
    return dict(found) if found else None


def assert_view_ok(page: Page, view: str) -> None:
    """The page fits the screen's width and has no accessibility violation."""
    assert overflow(page) is None, f"{view}: wider than the screen: {overflow(page)}"
    violations = axe_violations(page)
    assert violations == [], f"{view}: axe-core violations:\n" + "\n".join(violations)
