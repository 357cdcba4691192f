"""The main flows with a keyboard alone: sign in, pick a model, ask, stop an answer, open the
admin view and revoke a key through its confirmation dialog. Only key presses move the focus
and act: no click, no `fill`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.servers import RunningServer
from tests.web.conftest import PageRun, last_answer, long_prompt, make_key, shot

pytestmark = pytest.mark.e2e
Open = Callable[..., PageRun]


def focused(page: Page, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement?.matches(s) ?? false", selector))


def tab_to(page: Page, selector: str, *, limit: int = 60, back: bool = False) -> None:
    """Press Tab (Shift+Tab when `back`) until `selector` has the focus."""
    for _ in range(limit):
        if focused(page, selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{selector} never got the focus with the keyboard")


def test_the_main_flows_work_with_a_keyboard_alone(
    slow_server: RunningServer, open_page: Open
) -> None:
    key = make_key(slow_server, "web-keyboard", "chat,models:*")
    run = open_page(slow_server)
    page = run.page
    tab_to(page, "#key")
    page.keyboard.insert_text(slow_server.admin_key)
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat:not([hidden])")
    assert focused(page, "#prompt")  # after sign-in the focus is where one types

    tab_to(page, "#model", back=True)
    for _ in range(10):  # arrow through the models until the echo one
        if page.input_value("#model") == "echo":
            break
        page.keyboard.press("ArrowDown")
    assert page.input_value("#model") == "echo"
    tab_to(page, "#prompt")
    page.keyboard.insert_text("salam from the keyboard")
    page.keyboard.press("Enter")
    page.wait_for_selector(".msg.assistant[data-status=done]")
    assert "salam from the keyboard" in last_answer(page).inner_text()

    page.keyboard.insert_text(long_prompt())  # the slow echo: still streaming when we stop it
    page.keyboard.press("Enter")
    page.wait_for_selector(".msg.assistant[data-status=streaming] .body:not(:empty)")
    page.keyboard.press("Escape")
    page.wait_for_selector(".msg.assistant[data-status=stopped]")
    assert last_answer(page).locator(".body").inner_text().strip() != ""

    tab_to(page, "#tab-admin", back=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#keys-table")
    revoke = f"#keys-table button.revoke[data-key='{key['id']}']"
    page.wait_for_selector(revoke)
    tab_to(page, revoke, limit=200)
    page.keyboard.press("Enter")
    page.wait_for_selector("#confirm-dialog[open]")
    page.keyboard.press("Escape")  # Escape cancels: nothing revoked
    page.wait_for_selector("#confirm-dialog", state="hidden")
    assert page.locator(revoke).count() == 1
    tab_to(page, revoke, limit=200)
    page.keyboard.press("Enter")
    page.wait_for_selector("#confirm-dialog[open]")
    tab_to(page, "#confirm-ok")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#keys-table tr:has(code:text-is('{key['id']}')) .key-status.revoked")
    shot(page, "keyboard-revoked")
    assert run.errors == []
