"""/docs and /redoc work offline: every asset they reference is served by the gateway."""

from __future__ import annotations

import re

import httpx
import pytest

_REF = re.compile(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_api_docs_load_nothing_from_another_host(
    echo_client: httpx.AsyncClient, page: str
) -> None:
    r = await echo_client.get(page)
    assert r.status_code == 200
    refs = _REF.findall(r.text)
    assert refs, "the page should reference its script and stylesheet"
    external = [ref for ref in refs if re.match(r"^(?:[a-z]+:)?//", ref)]
    assert external == [], f"{page} loads assets from another host: {external}"
    assets = [ref for ref in refs if ref.endswith((".js", ".css"))]
    assert assets
    for ref in assets:
        asset = await echo_client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 10_000, ref
