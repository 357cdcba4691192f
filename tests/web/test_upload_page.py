"""A tenant admin adds documents to a knowledge base from the page: files dropped on the zone
(or chosen with the keyboard) each get a progress bar and the server's own verdict."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route

from tests.servers import RunningServer
from tests.web.conftest import PageRun, shot, sign_in

pytestmark = pytest.mark.e2e
Open = Callable[..., PageRun]

ARGAN = (
    "# Argan cooperatives in Souss-Massa\n\n"
    "Women's cooperatives near Taroudant press argan kernels by hand and sell the oil under the "
    "protected geographical indication Argane. A cooperative registers with ODCO and keeps a "
    "register of its members, its production and its sales.\n"
)
DROP_JS = """([selector, files]) => {
    const data = new DataTransfer();
    for (const [name, text] of files) data.items.add(new File([text], name));
    const zone = document.querySelector(selector);
    for (const type of ["dragenter", "dragover", "drop"]) {
        zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true,
                                                 cancelable: true }));
    }
}"""


def create_base(server: RunningServer, name: str) -> None:
    r = httpx.post(
        f"{server.base_url}/v1/knowledge",
        headers=server.headers,
        json={"name": name, "purpose": "web upload test", "legal_basis": "test data"},
    )
    assert r.status_code in (200, 201), r.text


def open_base(page: Page, name: str) -> None:
    page.click("#tab-admin")
    base = page.locator(f"details.kb[data-kb='{name}']")
    base.locator("summary").click()
    base.locator(".upload").wait_for()


def test_drop_files_and_get_a_report_per_file(server: RunningServer, open_page: Open) -> None:
    create_base(server, "web-upload")
    run = open_page(server)
    page = run.page
    sign_in(page, server.admin_key)
    open_base(page, "web-upload")
    page.evaluate(
        DROP_JS,
        [
            "details.kb[data-kb='web-upload'] .upload",
            [["argan-cooperatives.md", ARGAN], ["setup.exe", "MZ\x90\x00 not a document"]],
        ],
    )
    good = page.locator(".upload-file[data-name='argan-cooperatives.md']")
    bad = page.locator(".upload-file[data-name='setup.exe']")
    page.wait_for_selector(".upload-file[data-name='argan-cooperatives.md'][data-result=added]")
    page.wait_for_selector(".upload-file[data-name='setup.exe'][data-result]")
    assert good.locator("progress").get_attribute("value") == "100"
    assert re.search(r"added — \d+ passages?$", good.locator(".report").inner_text())
    assert bad.get_attribute("data-result") == "skipped"
    assert "skipped" in bad.inner_text() and len(bad.locator(".report").inner_text()) > 12
    # the documents table under the zone is refreshed, and the API agrees
    page.wait_for_selector(
        "details.kb[data-kb='web-upload'] .documents-table td:has-text('argan-cooperatives.md')"
    )
    docs = httpx.get(
        f"{server.base_url}/v1/knowledge/web-upload/documents", headers=server.headers
    ).json()["data"]
    assert [d["name"] for d in docs] == ["argan-cooperatives.md"]
    shot(page, "admin-upload-report")
    assert run.errors == []


def test_choose_files_with_the_keyboard_in_arabic(
    server: RunningServer, open_page: Open, tmp_path: Path
) -> None:
    create_base(server, "web-upload-kbd")
    file = tmp_path / "argan.md"
    file.write_text(ARGAN, encoding="utf-8")
    run = open_page(server, lang="ar")
    page = run.page
    # Playwright turns on file-chooser interception when the first listener is added, by an
    # asynchronous message: add one now, long before the key press, so that it is in place.
    page.on("filechooser", lambda _: None)
    sign_in(page, server.admin_key)
    open_base(page, "web-upload-kbd")
    choose = page.locator("details.kb[data-kb='web-upload-kbd'] button.choose")
    choose.focus()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(file))
    line = page.locator(".upload-file[data-name='argan.md']")
    page.wait_for_selector(".upload-file[data-name='argan.md'][data-result=added]")
    assert "أضيف" in line.inner_text()  # the verdict in the interface language
    with page.expect_file_chooser() as chooser:
        choose.focus()
        page.keyboard.press("Enter")
    chooser.value.set_files(str(file))  # the same file again: the server says unchanged
    page.wait_for_selector(".upload-file[data-name='argan.md'][data-result=unchanged]")
    assert "بلا تغيير" in line.inner_text()
    assert run.errors == []


def test_a_202_is_followed_until_its_job_ends(server: RunningServer, open_page: Open) -> None:
    """Big files may be ingested as a background job (202 + job id): the line follows the job.

    The server routes are real except the upload answer and the job, which are played here in
    the shape of `IngestJob.to_dict()` (knowledge/jobs.py):
    this checks the page's side of that contract, whatever the server decides is "big".
    """
    create_base(server, "web-upload-job")
    polls: list[str] = []

    def accepted(route: Route) -> None:
        route.fulfill(status=202, content_type="application/json", body='{"id": "job-7"}')

    def job(route: Route) -> None:
        polls.append(route.request.url)
        if len(polls) < 2:
            progress = {"files_done": 0, "files_total": 1, "chunks": 20, "current": None}
            body = {"id": "job-7", "status": "running", "progress": progress, "result": None}
        else:
            report = {"files": [{"name": "big.md", "status": "added", "chunks": 41}]}
            progress = {"files_done": 1, "files_total": 1, "chunks": 41, "current": None}
            body = {"id": "job-7", "status": "done", "progress": progress, "result": report}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    run = open_page(server)
    page = run.page
    page.route(
        "**/v1/knowledge/web-upload-job/documents",
        lambda r: accepted(r) if r.request.method == "POST" else r.continue_(),
    )
    page.route("**/v1/knowledge/web-upload-job/jobs/job-7", job)
    sign_in(page, server.admin_key)
    open_base(page, "web-upload-job")
    page.evaluate(DROP_JS, ["details.kb[data-kb='web-upload-job'] .upload", [["big.md", ARGAN]]])
    page.wait_for_selector(".upload-file[data-name='big.md'][data-result=added]")
    assert "41 passages" in page.inner_text(".upload-file[data-name='big.md']")
    assert len(polls) == 2
    assert run.errors == []
