"""Every view in every interface language, at phone and desktop widths, in both directions:
it fits the screen (no sideways scrolling, the conversation is never cut off) and axe-core
finds no accessibility violation. Screenshots: test-output/web/view-<view>-<lang>-<width>.png.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.servers import RunningServer
from tests.web.checks import assert_view_ok, axe_violations, overflow
from tests.web.conftest import DESKTOP, PHONE, PageRun, ask, shot, sign_in

pytestmark = pytest.mark.e2e
Open = Callable[..., PageRun]

# A word longer than a phone screen and a long Arabic line: what used to push the page wide.
LONG_WORD = "https://example.ma/" + "a" * 120
ARABIC_LINE = "شنو خاصني باش نستورد البذور ديال الطماطم من إسبانيا للتعاونية ديالنا فسوس ماسة؟ " * 3


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
def test_every_view_fits_the_screen_and_passes_axe(
    server: RunningServer, open_page: Open, lang: str, width: str
) -> None:
    viewport = PHONE if width == "phone" else DESKTOP
    run = open_page(server, lang=lang, viewport=viewport)
    page = run.page
    expected_dir = "rtl" if lang == "ar" else "ltr"
    assert page.evaluate("document.documentElement.dir") == expected_dir
    name = f"{lang}-{width}"
    assert_view_ok(page, f"sign-in {name}")
    shot(page, f"view-signin-{name}")

    sign_in(page, server.admin_key)
    ask(page, ARABIC_LINE, model="echo")
    ask(page, f"Look at {LONG_WORD} please", model="echo")
    assert page.locator(".msg").count() == 4
    # the whole conversation is on screen horizontally: every message inside the viewport
    inner = page.evaluate("innerWidth")
    for box in [m.bounding_box() for m in page.locator(".msg").all()]:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner + 1
    assert_view_ok(page, f"chat {name}")
    shot(page, f"view-chat-{name}")

    page.click("#tab-admin")
    page.wait_for_selector("#audit-table")
    page.wait_for_selector("#usage-table")
    base = page.locator("details.kb[data-kb=tourism]")
    base.locator("summary").click()
    base.locator("button.erase").first.wait_for()
    assert_view_ok(page, f"admin {name}")
    shot(page, f"view-admin-{name}")

    base.locator("button.erase").first.click()  # the confirmation dialog, then cancel
    page.locator("#confirm-dialog").wait_for()
    assert_view_ok(page, f"confirm dialog {name}")
    page.locator("#confirm-dialog button[value=cancel]").click()
    assert run.errors == []


def test_the_checks_catch_what_they_look_for(server: RunningServer, open_page: Open) -> None:
    """The checks above can fail: a view without its heading, an unlabelled image and a block
    wider than the phone are each reported."""
    page = open_page(server, viewport=PHONE).page
    sign_in(page, server.admin_key)
    page.evaluate(
        """() => { document.querySelectorAll('h1').forEach((h) => h.remove());
                   const img = document.createElement('img'); img.src = '/ui/icon.svg';
                   document.querySelector('#messages').append(img);
                   const wide = document.createElement('div');
                   wide.style.width = '600px'; wide.textContent = 'wide';
                   document.querySelector('main').append(wide); }"""
    )
    found = " ".join(axe_violations(page))
    assert "page-has-heading-one" in found and "image-alt" in found
    culprit = overflow(page)
    assert culprit is not None and int(str(culprit["scrollWidth"])) > PHONE["width"]
