"""The page's files as served in-process: headers, gzip, ETags, allow-list, weight, offline-ness."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agadir.web.assets import STATIC_DIR, AssetBundle, bundle
from tests.servers import RunningServer

BUDGET_GZIP_BYTES = 300 * 1024


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    """The real server (sync client: these tests share the process with sync Playwright)."""
    with httpx.Client(base_url=server.base_url) as c:
        yield c


def test_index_is_served_with_a_strict_policy(client: httpx.Client) -> None:
    r = client.get("/", headers={"accept-encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text and 'id="signin-form"' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_assets_go_out_gzipped_and_revalidate_with_etag(client: httpx.Client) -> None:
    raw = (STATIC_DIR / "js" / "i18n.js").read_bytes()
    r = client.get("/ui/js/i18n.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.content == raw  # httpx decoded the gzip body: same bytes as the file
    assert int(r.headers["content-length"]) < len(raw) // 2
    again = client.get("/ui/js/i18n.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    plain = client.get("/ui/js/i18n.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw


@pytest.mark.parametrize(
    "path",
    ["/ui/../router.py", "/ui/%2e%2e/assets.py", "/ui/js/nope.js", "/ui/", "/ui/__init__.py"],
)
def test_only_shipped_assets_are_served(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "not_found_error"


def test_the_page_needs_no_key_but_the_api_still_does(client: httpx.Client) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/v1/models").status_code == 401


def test_every_module_import_and_asset_reference_is_shipped() -> None:
    shipped = set(AssetBundle.load().paths())
    for js in (STATIC_DIR / "js").glob("*.js"):
        for target in re.findall(r'from "\./([\w.]+)"', js.read_text()):
            assert f"js/{target}" in shipped, f"{js.name} imports missing {target}"
    html = (STATIC_DIR / "index.html").read_text() + (STATIC_DIR / "app.css").read_text()
    for ref in re.findall(r'(?:src|href)="/ui/([^"]+)"|url\("/ui/([^"]+)"\)', html):
        path = ref[0] or ref[1]
        assert path in shipped, f"reference to unshipped asset {path}"


def test_nothing_points_outside_the_origin() -> None:
    """Offline by construction: no URL to another host in any script, style or page."""
    for asset in bundle():
        if asset.is_font or asset.path.endswith(".txt"):
            continue
        text = asset.body.decode()
        urls = re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text)
        assert [u for u in urls if "www.w3.org/2000/svg" not in u] == [], asset.path


def test_page_weight_is_within_budget_and_the_font_is_licensed() -> None:
    loaded = AssetBundle.load()
    assert loaded.wire_bytes(fonts=False) <= BUDGET_GZIP_BYTES
    fonts = [a for a in loaded if a.is_font]
    assert [a.path for a in fonts] == ["fonts/NotoSansTifinagh-Regular.ttf"]
    assert fonts[0].body[:4] == b"\x00\x01\x00\x00"  # a TrueType font, not a pointer file
    licence = (STATIC_DIR / "fonts" / "OFL.txt").read_text()
    assert "SIL Open Font License" in licence and "Google" in licence
    for asset in loaded:
        if asset.gzipped is not None:
            assert gzip.decompress(asset.gzipped) == asset.body


def test_interface_strings_exist_in_all_three_languages() -> None:
    source = (STATIC_DIR / "js" / "i18n.js").read_text()
    strings = source.split("const STRINGS = {", 1)[1].split("\n};", 1)[0]
    blocks = re.split(r"\n  (en|fr|ar): \{\n", strings)
    keys: dict[str, set[str]] = {}
    for lang, body in zip(blocks[1::2], blocks[2::2], strict=True):
        keys[lang] = set(re.findall(r"^    (\w+):", body.split("\n  },", 1)[0], re.M))
    assert set(keys) == {"en", "fr", "ar"}
    assert len(keys["en"]) > 80
    assert keys["fr"] == keys["en"] and keys["ar"] == keys["en"]
    used = set()
    for path in [*(STATIC_DIR / "js").glob("*.js"), STATIC_DIR / "index.html"]:
        text = path.read_text()
        used |= set(re.findall(r'\bt\("(\w+)"', text))
        used |= set(re.findall(r'data-i18n(?:-placeholder|-label)?="(\w+)"', text))
    assert used - keys["en"] == set(), "strings used but not translated"
    values = source.split("const VALUES = {", 1)[1].split("\n};", 1)[0]
    codes = {
        lang: set(re.findall(r"(\w+): \"", body.split("\n  },", 1)[0]))
        for lang, body in re.findall(r"\n  (fr|ar): \{\n(.*?)\n  \}", values, re.S)
    }
    assert len(codes["fr"]) > 20 and codes["fr"] == codes["ar"], "server codes shown untranslated"


def test_bundle_skips_hidden_and_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("export const a = 1;\n" * 50)
    (tmp_path / ".secret.js").write_text("x")
    (tmp_path / "notes.py").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.css").write_text("b{}")
    loaded = AssetBundle.load(tmp_path)
    assert loaded.paths() == ["a.js", "sub/b.css"]
    assert loaded.get("a.js").gzipped is not None
    assert loaded.get("sub/b.css").gzipped is None  # too small to be worth it


def test_a_missing_chromium_fails_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.web import conftest

    monkeypatch.setattr(conftest, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(conftest.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        conftest.require_chromium()
