"""Bad weather: a stream cut off, the server gone, a key revoked mid-session, a 429. Each time
the page must say what happened and what to do, and keep the conversation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.servers import RunningServer, start_server, stop_server
from tests.web.conftest import (
    SLOW_ECHO_ENV,
    PageRun,
    ask,
    last_answer,
    long_prompt,
    make_key,
    shot,
    sign_in,
)

pytestmark = pytest.mark.e2e
Open = Callable[..., PageRun]


def test_cut_stream_then_server_down_keep_the_conversation(tmp_path: Path, open_page: Open) -> None:
    # its own server (this test kills it), with the slow echo so that the kill lands mid-answer
    server = start_server(tmp_path / "home", "--enable-echo", env=SLOW_ECHO_ENV)
    try:
        run = open_page(server)
        page = run.page
        sign_in(page, server.admin_key)
        ask(page, "a question before the outage", model="echo")
        page.fill("#prompt", long_prompt())  # streams for ~18 s: the kill lands mid-answer
        page.click("#send")
        page.wait_for_selector(".msg.assistant[data-status=streaming] .body:not(:empty)")
        server.process.kill()  # the server dies mid-answer
        page.wait_for_selector(".msg.assistant[data-status=error]")
        notice = page.locator("#notice")
        assert notice.get_attribute("data-kind") == "cut"
        assert "cut off" in notice.inner_text() and "partial answer is kept" in notice.inner_text()
        assert last_answer(page).locator(".body").inner_text().strip() != ""  # partial kept
        shot(page, "stream-cut")

        page.fill("#prompt", "are you there?")
        page.click("#send")
        page.wait_for_selector("#notice[data-kind=network]")
        text = notice.inner_text()
        assert "Cannot reach the Agadir server" in text and "agadir serve" in text
        assert notice.locator("button.retry").is_visible()
        messages = page.locator("#messages .body").all_inner_texts()
        assert "a question before the outage" in messages and "are you there?" in messages
        shot(page, "server-down")
        assert run.errors == []
    finally:
        stop_server(server)


def test_a_key_revoked_mid_session_asks_to_sign_in_again(
    server: RunningServer, open_page: Open
) -> None:
    key = make_key(server, "web-revoke", "chat,lang,models:*")
    run = open_page(server)
    page = run.page
    sign_in(page, key["key"])
    ask(page, "before the revocation", model="echo")
    r = httpx.post(f"{server.base_url}/admin/keys/{key['id']}/revoke", headers=server.headers)
    assert r.status_code == 200
    page.fill("#prompt", "after the revocation")
    page.click("#send")
    page.wait_for_selector("#notice[data-kind=auth]")
    assert "was revoked" in page.inner_text("#notice")
    assert page.locator("#signin").is_visible()
    assert "was revoked" in page.inner_text("#signin-error")
    assert page.evaluate("sessionStorage.getItem('agadir.key')") is None
    bodies = page.locator("#messages .body").all_inner_texts()
    assert "before the revocation" in bodies and "after the revocation" in bodies
    shot(page, "key-revoked")

    # a fresh key carries on with the same conversation
    sign_in(page, make_key(server, "web-revoke", "chat,lang,models:*")["key"])
    last_answer(page).locator("button.retry").click()
    page.wait_for_selector(".msg.assistant[data-status=done] >> nth=1")
    assert "after the revocation" in last_answer(page).inner_text()
    assert run.errors == []


def test_a_429_says_when_to_retry_and_keeps_the_conversation(
    server: RunningServer, open_page: Open
) -> None:
    key = make_key(server, "web-rpm", "chat,models:*", rpm=1)
    run = open_page(server)
    page = run.page
    sign_in(page, key["key"])
    ask(page, "first within the limit", model="echo")
    assert last_answer(page).get_attribute("data-status") == "done"
    page.fill("#prompt", "second over the limit")
    page.click("#send")
    page.wait_for_selector("#notice[data-kind=rate]")
    text = page.inner_text("#notice")
    assert "Too many requests" in text and "seconds" in text
    assert any(ch.isdigit() for ch in text)  # Retry-After, in seconds
    assert page.locator("#notice button.retry").is_visible()
    bodies = page.locator("#messages .body").all_inner_texts()
    assert "first within the limit" in bodies and "second over the limit" in bodies
    shot(page, "rate-limited")
    assert run.errors == []
