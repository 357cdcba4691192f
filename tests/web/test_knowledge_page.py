"""Knowledge bases in the page: a Darija question to a sample base answered with numbered
citations that open the quoted passage; an admin erases a document after confirming.

Written against the knowledge API contract (`/v1/knowledge`, `kb:<name>` models, `citations`
on the answer); the session server loads the sample `agriculture` and `tourism` packs.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Route

from tests.servers import RunningServer
from tests.web.checks import assert_view_ok
from tests.web.conftest import PageRun, ask, last_answer, shot, sign_in

pytestmark = pytest.mark.e2e
Open = Callable[..., PageRun]


def echo_engine_for_knowledge(route: Route) -> None:
    """Answer `kb:NAME` with the echo engine over the same base (`knowledge_base: NAME`).

    Retrieval, citation checking and streaming stay real; only the generator changes: the
    default model needs 30-100 s on this 2-core machine to read a ~2,000-token grounded prompt,
    which would make this one test slower than the whole web suite is allowed to be.
    """
    body = route.request.post_data_json
    if isinstance(body, dict) and str(body.get("model", "")).startswith("kb:"):
        body = {**body, "model": "echo", "knowledge_base": body["model"][3:]}
    route.continue_(post_data=json.dumps(body))


def test_ask_a_knowledge_base_in_darija_and_open_a_citation(
    server: RunningServer, open_page: Open
) -> None:
    run = open_page(server, lang="ar")
    page = run.page
    page.route("**/v1/chat/completions", echo_engine_for_knowledge)
    sign_in(page, server.admin_key)
    page.wait_for_selector(
        "#model optgroup[data-i18n-group=kb] option[value='kb:agriculture']", state="attached"
    )
    ask(
        page,
        "إمتى كيبداو يجنيو الزيتون ديال الزيت فالمغرب؟",
        model="kb:agriculture",
        timeout_ms=120_000,
    )
    answer = last_answer(page)
    assert answer.get_attribute("data-status") == "done", answer.inner_text()
    sources = answer.locator(".sources button.source")
    assert sources.count() >= 1
    shot(page, "kb-answer-citations")

    first = answer.locator("button.cite").first if answer.locator("button.cite").count() else None
    (first or sources.first).click()
    dialog = page.locator("#citation-dialog")
    dialog.wait_for()
    assert dialog.is_visible()
    quote = page.inner_text("#citation-quote").strip()
    assert len(quote) > 20
    facts = page.inner_text("#citation-facts")
    assert "agriculture" in facts and "الوثيقة" in facts  # knowledge base and document named
    direction = page.eval_on_selector("#citation-quote", "el => getComputedStyle(el).direction")
    assert direction == "rtl"  # the Arabic passage reads right to left
    assert_view_ok(page, "citation dialog, Arabic")
    shot(page, "kb-citation-open")
    page.locator("#citation-dialog button[value=close]").click()
    assert dialog.is_hidden()
    assert run.errors == []


def test_admin_erases_a_document_after_confirming(server: RunningServer, open_page: Open) -> None:
    run = open_page(server)
    page = run.page
    sign_in(page, server.admin_key)
    page.click("#tab-admin")
    base = page.locator("details.kb[data-kb=tourism]")
    base.locator("summary").click()
    erase = base.locator("button.erase").first
    erase.wait_for()
    doc_id = str(erase.get_attribute("data-doc"))
    url = f"{server.base_url}/v1/knowledge/tourism/documents"
    before = {d["id"]: d for d in httpx.get(url, headers=server.headers).json()["data"]}
    assert doc_id in before

    erase.click()
    assert before[doc_id]["name"] in page.inner_text("#confirm-text")
    page.locator("#confirm-dialog button[value=cancel]").click()
    listed = httpx.get(url, headers=server.headers).json()["data"]
    assert doc_id in {d["id"] for d in listed}  # cancelled: nothing erased

    erase.click()
    page.locator("#confirm-ok").click()
    page.wait_for_selector("#admin-knowledge .result:has-text('Erased')")
    assert str(before[doc_id]["chunks"]) in page.inner_text("#admin-knowledge .result")
    page.wait_for_selector(
        f"details.kb[data-kb=tourism] button.erase[data-doc='{doc_id}']", state="detached"
    )
    after = httpx.get(url, headers=server.headers).json()["data"]
    assert doc_id not in {d["id"] for d in after}
    shot(page, "admin-knowledge-erased")
    assert run.errors == []


def test_citation_markers_in_the_answer_text_become_buttons(
    server: RunningServer, open_page: Open
) -> None:
    """`[n]` in an answer links to citation n; a marker without a citation stays plain text."""
    page = open_page(server).page
    buttons = page.evaluate(
        """async () => {
            const { renderAnswer } = await import('/ui/js/citations.js');
            const body = document.createElement('div');
            const cite = (index) => ({ index, document: 'doc', quote: 'q', page: 2, kb: 'kb' });
            renderAnswer(body, 'Harvest starts in October [1], ends in January [2] [9].',
                         [cite(1), cite(2)]);
            return { text: body.textContent,
                     buttons: [...body.querySelectorAll('button.cite')].map(b => b.textContent) };
        }"""
    )
    assert buttons["buttons"] == ["[1]", "[2]"]
    assert buttons["text"] == "Harvest starts in October [1], ends in January [2] [9]."
