"""The chat page in Chromium against the real server: sign-in, streaming, stop, history,
Arabizi, interface languages and right-to-left layout."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route

from tests.servers import RunningServer
from tests.web.conftest import (
    TOKEN_DELAY_S,
    PageRun,
    ask,
    last_answer,
    long_prompt,
    shot,
    sign_in,
)

pytestmark = pytest.mark.e2e

ARABIC = re.compile(r"[\u0600-\u06FF]")
LATIN = re.compile(r"[A-Za-z]")
Open = Callable[..., PageRun]


def direction(page: Page, selector: str) -> str:
    """The computed CSS direction of the last element matching `selector`."""
    return str(page.locator(selector).last.evaluate("el => getComputedStyle(el).direction"))


def test_a_bad_key_is_refused_with_a_clear_message(server: RunningServer, open_page: Open) -> None:
    run = open_page(server)
    page = run.page
    page.fill("#key", "agk_0123456789ab_" + "y" * 30)
    page.click("#signin-form button[type=submit]")
    error = page.locator("#signin-error")
    error.wait_for()
    page.wait_for_function("() => document.querySelector('#signin-error').textContent.length > 0")
    text = error.inner_text()
    assert "refused" in text and "Sign in again" in text
    assert "invalid API key" in text  # the server's own reason is passed through
    assert page.locator("#chat").is_hidden()
    assert page.evaluate("sessionStorage.getItem('agadir.key')") is None
    shot(page, "signin-bad-key")
    assert run.errors == []


def short_answers(route: Route) -> None:
    """Cap the answer at 16 tokens (the request is otherwise the page's own)."""
    body = route.request.post_data_json
    assert isinstance(body, dict)
    route.continue_(post_data=json.dumps({**body, "max_tokens": 16}))


def test_sign_in_and_get_a_streamed_answer_from_the_default_model(
    server: RunningServer, open_page: Open
) -> None:
    run = open_page(server)
    page = run.page
    shot(page, "signin")
    sign_in(page, server.admin_key)
    default = page.evaluate("fetch('/healthz').then(r => r.json()).then(b => b.default_model)")
    assert page.input_value("#model") == default  # the server's default model is preselected
    # The page asks for a whole answer; a short one is enough here, and a long one from the
    # real model took over 90 s on a 2-core machine with a busy neighbour.
    page.route("**/v1/chat/completions", short_answers)
    with page.expect_response("**/v1/chat/completions") as response:
        ask(
            page, "What is the capital city of Morocco? Answer in one sentence.", timeout_ms=180_000
        )
    # streamed (server-sent events), asserted on the exchange rather than by racing the stream
    sent = response.value.request.post_data_json
    assert isinstance(sent, dict) and sent["stream"] is True
    assert response.value.headers["content-type"].startswith("text/event-stream")
    answer = last_answer(page)
    assert answer.get_attribute("data-status") == "done"
    text = answer.locator(".body").inner_text()
    assert text.strip() != ""
    assert answer.locator("button.copy").is_visible()
    assert answer.locator("button.retry").is_visible()
    shot(page, "chat-streamed")

    # the key lives in this tab's session storage only: not in the URL, not in local storage
    assert server.admin_key not in page.url
    assert page.evaluate("sessionStorage.getItem('agadir.key')") == server.admin_key
    local = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert server.admin_key not in local and text[:20] in local
    assert all(server.admin_key not in url for url in run.requests)
    assert run.errors == []


def test_a_stream_grows_and_stop_keeps_the_partial_answer(
    slow_server: RunningServer, open_page: Open
) -> None:
    """The slow echo streams one word per TOKEN_DELAY_S: the answer is still being written
    when we look, whatever the machine; Stop ends it there and nothing arrives after."""
    run = open_page(slow_server)
    page = run.page
    sign_in(page, slow_server.admin_key)
    page.select_option("#model", "echo")
    prompt = long_prompt()
    page.fill("#prompt", prompt)
    page.click("#send")
    body = ".msg.assistant[data-status=streaming] .body"
    page.wait_for_selector(f"{body}:not(:empty)")
    assert page.locator("#stop").is_visible() and page.locator("#send").is_hidden()
    first = len(page.inner_text(body))
    page.wait_for_function(  # it grows while still marked as streaming
        """n => { const b = document.querySelector(
                      '.msg.assistant[data-status=streaming] .body');
                  return b !== null && b.textContent.length > n; }""",
        arg=first,
    )
    page.click("#stop")
    page.wait_for_selector(".msg.assistant[data-status=stopped]")
    partial = last_answer(page).locator(".body").inner_text().strip()
    assert partial and prompt.startswith(partial) and len(partial) < len(prompt)
    assert "Stopped" in last_answer(page).inner_text()
    assert page.locator("#send").is_visible() and page.locator("#stop").is_hidden()
    shot(page, "chat-stopped")
    # no token after Stop: the text (and what was saved) stays as it was, several token
    # intervals later (an absence can only be checked over a window)
    page.wait_for_timeout(TOKEN_DELAY_S * 1000 * 6)
    assert last_answer(page).locator(".body").inner_text().strip() == partial
    saved = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert partial in saved
    assert run.errors == []


def test_history_is_kept_locally_across_reloads(server: RunningServer, open_page: Open) -> None:
    run = open_page(server)
    page = run.page
    sign_in(page, server.admin_key)
    ask(page, "first conversation, first question", model="echo")
    page.click("#new-conversation")
    assert page.locator(".msg").count() == 0
    ask(page, "second conversation", model="echo")
    page.reload()
    page.wait_for_selector(".msg.assistant[data-status=done]")  # signed in again from the tab
    assert "second conversation" in page.inner_text("#messages")
    titles = page.locator("#history-list button").all_inner_texts()
    assert titles[:2] == ["second conversation", "first conversation, first question"]
    page.locator("#history-list button", has_text="first conversation").click()
    assert "first conversation, first question" in last_answer(page).inner_text()
    # retry asks again and replaces the last answer
    last_answer(page).locator("button.retry").click()
    page.wait_for_selector(".msg.assistant[data-status=done]")
    assert page.locator(".msg.assistant").count() == 1
    assert run.errors == []


def test_arabizi_turns_into_arabic_script_while_typing(
    server: RunningServer, open_page: Open
) -> None:
    run = open_page(server)
    page = run.page
    sign_in(page, server.admin_key)
    page.select_option("#model", "echo")
    # The page's timers run on a clock the test moves: the 300 ms debounce is checked exactly,
    # whatever the gaps between keystrokes on a busy machine. Installed before the switch is
    # ticked: ticking it schedules a conversion, and a timer set on the real clock cannot be
    # cleared by the fake one, so it fired mid-typing on a fast machine.
    page.clock.install()
    page.check("#arabizi")
    page.click("#prompt")
    page.keyboard.type("salam labas 3lik ", delay=40)

    def calls() -> int:
        return len([u for u in run.requests if u.endswith("/v1/lang/transliterate")])

    assert calls() == 0  # nothing while typing: the debounce has not elapsed
    page.clock.run_for(300)
    page.wait_for_function(
        "() => /[\\u0600-\\u06FF]/.test(document.querySelector('#prompt').value)",
        polling=50,
    )
    typed = page.input_value("#prompt")
    assert ARABIC.search(typed) and not LATIN.search(typed), typed
    assert calls() == 1  # 17 keystrokes, one call
    page.keyboard.type("kifach", delay=40)
    shot(page, "arabizi-typing")
    page.click("#send")  # the last word is converted before sending
    page.wait_for_selector(".msg.assistant[data-status=done]")
    sent = page.locator(".msg.user .body").last.inner_text()
    assert ARABIC.search(sent) and not LATIN.search(sent), sent
    assert calls() == 2  # ... and one more for the word under the cursor, on send
    assert run.errors == []


def test_interface_language_switch_and_right_to_left_layout(
    server: RunningServer, open_page: Open
) -> None:
    run = open_page(server, lang="fr-FR")
    page = run.page
    assert page.evaluate("document.documentElement.lang") == "fr"  # from the browser's locale
    assert "générées par un modèle d’IA" in page.inner_text("#disclosure")
    sign_in(page, server.admin_key)
    page.select_option("#ui-lang", "ar")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        "ar",
        "rtl",
    ]
    assert direction(page, "body") == "rtl"
    assert "نموذج ذكاء اصطناعي" in page.inner_text("#disclosure")
    assert page.inner_text("#send") == "إرسال"
    ask(page, "واش كاين شي جديد على الفلاحة؟", model="echo")
    badge = last_answer(page).locator(".lang-badge")  # detected language, shown discreetly
    badge.wait_for()
    assert str(badge.get_attribute("data-lang")).endswith("_Arab")
    assert direction(page, ".msg.user .body") == "rtl"
    ask(page, "Hello, this is English inside an Arabic interface", model="echo")
    last_answer(page).locator(".lang-badge").wait_for()
    assert direction(page, ".msg.user .body") == "ltr"  # dir=auto per message
    ask(page, "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", model="echo")
    assert (
        direction(page, ".msg.user .body") == "ltr"
    )  # Tifinagh is written left to right  # Tifinagh: our shipped font is fetched and used
    page.wait_for_function("() => document.fonts.check('16px \"Agadir Tifinagh\"', 'ⴰⵣⵓⵍ')")
    assert any(u.endswith("/ui/fonts/NotoSansTifinagh-Regular.ttf") for u in run.requests)
    shot(page, "chat-arabic-rtl")
    page.select_option("#ui-lang", "en")
    assert direction(page, "body") == "ltr"
    assert "generated by an AI model" in page.inner_text("#disclosure")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("document.documentElement.lang") == "en"  # the choice is remembered
    assert run.errors == []
