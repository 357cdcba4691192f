"""Real-browser fixtures: Debian's Chromium driven by Playwright against a real `agadir serve`.

Chromium is never downloaded (`playwright install` cannot work offline): the tests launch
`/usr/bin/chromium` and FAIL, saying how to install it, when it is missing — a silent skip would
let the web page rot unnoticed. Screenshots of the main states go to `test-output/web/`.

Streams are made observable by time we control, never by racing them: `slow_server` runs the
echo engine with `AGADIR_ECHO_TOKEN_DELAY_S`, so an echoed answer of N words stays "streaming"
for N x the delay whatever the machine's speed; tests stop it mid-stream and assert outcomes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    ViewportSize,
    sync_playwright,
)

from tests.servers import RunningServer, start_server, stop_server

CHROMIUM = Path(os.environ.get("AGADIR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "web"
# Generous for a shared 2-core machine; the page itself answers in milliseconds.
TIMEOUT_MS = 20_000
# Phone (a common 390 px Android/iPhone width) and desktop viewports.
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1200, "height": 900}
# The slow echo: one word every 0.15 s, so a 120-word prompt streams for 18 s.
TOKEN_DELAY_S = 0.15
SLOW_ECHO_ENV = {"AGADIR_ECHO_TOKEN_DELAY_S": str(TOKEN_DELAY_S), "AGADIR_KNOWLEDGE__PACKS": "[]"}


def long_prompt(words: int = 120) -> str:
    """A prompt the echo engine answers word by word: about `words` x TOKEN_DELAY_S seconds."""
    return " ".join(f"camel{i}" for i in range(words))


def require_chromium() -> Path:
    if not CHROMIUM.is_file() and shutil.which("chromium") is None:
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package with "
            "`apt-get install -y chromium` (the web tests never download a browser), "
            "or point AGADIR_CHROMIUM at a Chromium binary.",
            pytrace=False,
        )
    return CHROMIUM if CHROMIUM.is_file() else Path(str(shutil.which("chromium")))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Not per session: sync Playwright keeps an event loop
    running in this thread while it is open, which would break pytest-asyncio tests that run
    after it."""
    executable = require_chromium()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose echo model streams one word per TOKEN_DELAY_S (see module docstring)."""
    home = tmp_path_factory.mktemp("slow-echo") / "home"
    running = start_server(home, "--enable-echo", env=SLOW_ECHO_ENV)
    yield running
    stop_server(running)


class PageRun:
    """A page plus what it did: console errors and every URL it requested."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.errors: list[str] = []
        self.requests: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        # Chromium logs every 4xx/5xx response as "Failed to load resource": those are the
        # refusals some tests provoke on purpose; script errors are what we collect.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.origin, "data:"))]


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., PageRun]]:
    """Factory: `open_page(server, lang="en", viewport=DESKTOP)` → PageRun, fresh context."""
    contexts: list[BrowserContext] = []
    runs: list[PageRun] = []

    def make(server: RunningServer, lang: str = "en", viewport: ViewportSize = DESKTOP) -> PageRun:
        context = browser.new_context(locale=lang, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        run = PageRun(page, server.base_url)
        page.on("pageerror", lambda exc: run.errors.append(f"pageerror: {exc}"))
        page.on("console", run.on_console)
        page.on("request", lambda req: run.requests.append(req.url))
        page.goto(server.base_url + "/")
        page.wait_for_selector("body[data-ready=true]")
        runs.append(run)
        return run

    yield make
    for context in contexts:
        context.close()
    for run in runs:
        assert run.foreign_requests() == [], "the page reached outside its origin"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, key: str) -> None:
    page.fill("#key", key)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#chat:not([hidden])")


def ask(page: Page, text: str, model: str | None = None, timeout_ms: float = TIMEOUT_MS) -> None:
    """Send a message and wait until its answer is no longer streaming."""
    if model is not None:
        page.select_option("#model", model)
    count = page.locator(".msg.assistant").count()
    page.fill("#prompt", text)
    page.click("#send")
    page.wait_for_function(
        """n => { const a = document.querySelectorAll('.msg.assistant');
                  return a.length > n && a[a.length - 1].dataset.status !== 'streaming'; }""",
        arg=count,
        timeout=timeout_ms,
    )


def last_answer(page: Page) -> Locator:
    return page.locator(".msg.assistant").last


def make_key(server: RunningServer, tenant: str, scopes: str, **limits: int) -> dict[str, str]:
    """Create (if needed) a tenant and a key through the admin API; returns the key record."""
    tenants = httpx.get(f"{server.base_url}/admin/tenants", headers=server.headers).json()
    if tenant not in {t["name"] for t in tenants["data"]}:
        body: dict[str, object] = {"name": tenant, "pii_mode": "off"}
        if limits:
            body["limits"] = limits
        r = httpx.post(f"{server.base_url}/admin/tenants", headers=server.headers, json=body)
        assert r.status_code == 201, r.text
    r = httpx.post(
        f"{server.base_url}/admin/keys",
        headers=server.headers,
        json={"tenant": tenant, "scopes": scopes, "label": "web test"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())
