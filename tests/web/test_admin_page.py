"""The admin view in Chromium: tenants and keys (a new key shown once, revoke with confirmation,
the revoked key refused), usage chart, audit tail with filters, chain verification."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest

from tests.servers import RunningServer
from tests.web.conftest import PageRun, make_key, shot, sign_in

pytestmark = pytest.mark.e2e
Open = Callable[..., PageRun]


def test_admin_creates_and_revokes_a_key_and_the_revoked_key_is_refused(
    server: RunningServer, open_page: Open
) -> None:
    run = open_page(server)
    page = run.page
    sign_in(page, server.admin_key)
    page.click("#tab-admin")
    page.wait_for_selector("#tenants-table")

    page.fill("input[name=tenant-name]", "web-cooperative")
    page.fill("input[name=tenant-rpm]", "600")
    page.click("#admin-tenants button[type=submit]")
    page.wait_for_selector("#tenants-table td:text-is('web-cooperative')")
    assert "rpm 600" in page.inner_text("#tenants-table")

    page.select_option("select[name=key-tenant]", "web-cooperative")
    page.fill("input[name=key-label]", "تعاونية أركان")
    page.click("#admin-keys button[type=submit]")
    new_key = page.locator("#new-key")
    new_key.wait_for()
    plaintext = new_key.inner_text()
    assert plaintext.startswith("agk_")
    shot(page, "admin-new-key")
    key_id = plaintext.split("_")[1]
    row = page.locator("#keys-table tr", has=page.locator(f"code:text-is('{key_id}')"))
    assert "active" in row.inner_text() and "تعاونية أركان" in row.inner_text()
    models = httpx.get(
        f"{server.base_url}/v1/models", headers={"Authorization": f"Bearer {plaintext}"}
    )
    assert models.status_code == 200

    # revoking asks first; "Cancel" leaves the key alone
    row.locator("button.revoke").click()
    page.locator("#confirm-dialog button[value=cancel]").click()
    assert "active" in row.inner_text()
    row.locator("button.revoke").click()
    assert key_id in page.inner_text("#confirm-text")
    page.locator("#confirm-ok").click()
    page.wait_for_selector(f"#keys-table tr:has(code:text-is('{key_id}')) .key-status.revoked")
    assert page.locator("#new-key").count() == 0  # the plaintext is not shown again
    refused = httpx.get(
        f"{server.base_url}/v1/models", headers={"Authorization": f"Bearer {plaintext}"}
    )
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]

    # ... and the page refuses it too, with the reason
    other = open_page(server).page
    other.fill("#key", plaintext)
    other.click("#signin-form button[type=submit]")
    other.wait_for_function("() => document.querySelector('#signin-error').textContent.length > 0")
    assert "was revoked" in other.inner_text("#signin-error")
    assert run.errors == []


def test_usage_audit_filters_and_chain_verification(server: RunningServer, open_page: Open) -> None:
    run = open_page(server)
    page = run.page
    sign_in(page, server.admin_key)
    page.click("#tab-admin")
    page.wait_for_selector("#usage-table")
    assert page.locator("#admin-usage svg.chart rect.bar").count() >= 1
    assert "admin" in page.inner_text("#usage-table")

    page.select_option("select[name=audit-kind]", "admin")
    page.click("#admin-audit button[type=submit]")
    page.wait_for_function(
        """() => { const rows = [...document.querySelectorAll('#audit-table tbody tr')];
                   return rows.length > 0
                       && rows.every(r => r.cells[2].textContent === 'admin'); }"""
    )
    page.click("#verify-chain")
    result = page.locator("#admin-audit .result[data-ok]")
    result.wait_for()
    assert result.get_attribute("data-ok") == "true"
    assert "Chain intact" in result.inner_text()
    shot(page, "admin-audit")

    page.select_option("#ui-lang", "ar")  # the admin view follows the interface language
    page.wait_for_selector("#admin-audit h2:text-is('سجل التدقيق')")
    assert page.evaluate("getComputedStyle(document.querySelector('#admin')).direction") == "rtl"
    shot(page, "admin-arabic")
    assert run.errors == []


def test_a_key_without_admin_scope_gets_no_admin_view(
    server: RunningServer, open_page: Open
) -> None:
    key = make_key(server, "web-plain", "chat,models:echo")
    page = open_page(server).page
    with page.expect_response(lambda r: r.url.endswith("/admin/tenants")) as probe:
        sign_in(page, key["key"])
    assert probe.value.status == 403
    page.wait_for_selector("#model option[value=echo]", state="attached")
    assert page.locator("#tab-admin").is_hidden()
    assert page.locator("#model option").all_inner_texts() == ["echo"]  # scope-filtered list


@pytest.mark.parametrize(
    ("lang", "enabled", "off", "date"),
    [
        # day-first with the month spelt out in English (never the US 12/5/26)
        ("en", "enabled", "off", r"^{d} [A-Z][a-z]{{2}} {y}, \d\d:\d\d$"),
        ("fr", "activé", "désactivée", r"^{d} \S+ {y}(,| à) \d\d:\d\d$"),
        ("ar", "مفعّل", "معطّلة", r"^{dd}/\d\d/{y}"),
    ],
)
def test_values_and_dates_follow_the_interface_language(
    server: RunningServer, open_page: Open, lang: str, enabled: str, off: str, date: str
) -> None:
    tenant = next(
        t
        for t in httpx.get(f"{server.base_url}/admin/tenants", headers=server.headers).json()[
            "data"
        ]
        if t["name"] == "admin"
    )
    created = datetime.fromisoformat(tenant["created_at"]).astimezone()  # the browser's zone
    run = open_page(server, lang=lang)
    page = run.page
    sign_in(page, server.admin_key)
    page.click("#tab-admin")
    row = page.locator("#tenants-table tr", has=page.locator("td:text-is('admin')"))
    row.wait_for()
    assert row.locator("[data-value=enabled]").inner_text() == enabled
    assert row.locator("[data-value=off]").inner_text() == off
    shown = row.locator("time").inner_text().replace("\u200f", "").replace("\u202f", " ")
    pattern = date.format(d=created.day, dd=f"{created.day:02d}", y=created.year)
    assert re.search(pattern, shown), shown
    kinds = page.locator("select[name=audit-kind] option").all_inner_texts()
    if lang == "ar":
        assert "نقطة تحقق" in kinds and "checkpoint" not in kinds
    assert run.errors == []
