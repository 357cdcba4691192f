"""`agadir kb` as an operator meets it: real subprocesses, reports, exit codes, audit events."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import agadir


def test_kb_lifecycle_from_the_shell(tmp_path: Path) -> None:
    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ble.md").write_text(
        "# Blé\n\nLe blé dur est semé en novembre dans la plaine du Saïss.\n", encoding="utf-8"
    )
    (docs / "junk.txt").write_bytes(bytes(range(256)) * 20)
    assert agadir(home, "tenants", "create", "coop").returncode == 0
    created = agadir(
        home, "kb", "create", "cereales", "--owner", "coop",
        "--purpose", "conseil agricole", "--legal-basis", "information publique",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    again = agadir(
        home, "kb", "create", "cereales", "--owner", "coop", "--purpose", "x", "--legal-basis", "y"
    )
    assert again.returncode != 0 and "already exists" in (again.stdout + again.stderr)

    ingested = agadir(home, "kb", "ingest", "cereales", str(docs), "--json", timeout=180)
    assert ingested.returncode == 0, ingested.stderr
    report = json.loads(ingested.stdout)
    assert report["added"] == 1 and report["skipped"] == 1
    assert any(f["name"] == "junk.txt" and f["reason"] for f in report["files"])
    unchanged = json.loads(agadir(home, "kb", "ingest", "cereales", str(docs), "--json").stdout)
    assert unchanged["unchanged"] == 1 and unchanged["added"] == 0
    [listed] = json.loads(agadir(home, "kb", "docs", "cereales", "--format", "json").stdout)
    assert listed["name"] == "ble.md" and len(listed["sha256"]) == 64
    table = [ln.split("│") for ln in agadir(home, "kb", "docs", "cereales").stdout.splitlines()]
    cells = [row for row in table if len(row) > 7]  # folded cells continue on the next lines
    assert "".join(row[1].strip() for row in cells) == listed["id"]
    assert "".join(row[6].strip() for row in cells) == listed["sha256"]
    tsv = agadir(home, "kb", "docs", "cereales", "--format", "tsv").stdout.splitlines()
    assert tsv[1].split("\t")[:2] == [listed["id"], "ble.md"]

    found = agadir(home, "kb", "search", "cereales", "فوقاش كيزرعو القمح؟", timeout=120)
    assert found.returncode == 0 and "ble.md" in found.stdout

    exported = agadir(home, "kb", "export", "cereales")
    row = json.loads(exported.stdout.splitlines()[0])
    assert row["name"] == "ble.md" and row["legal_basis"] == "information publique"
    assert "Saïss" in row["text"] and row["chunks"][0]["start"] == 0

    doc_id = row["id"]
    assert agadir(home, "kb", "rm-doc", "cereales", doc_id).returncode == 0
    missing = agadir(home, "kb", "rm-doc", "cereales", doc_id)
    assert missing.returncode != 0 and "no document" in (missing.stdout + missing.stderr)
    assert agadir(home, "kb", "erase", "cereales", "--yes").returncode == 0
    assert "cereales" not in agadir(home, "kb", "list").stdout

    tail = agadir(home, "audit", "verify")
    assert tail.returncode == 0, tail.stdout + tail.stderr
    exported_log = agadir(home, "audit", "export")
    endpoints = [json.loads(line)["endpoint"] for line in exported_log.stdout.splitlines()]
    for what in ("create", "ingest", "export", "erase_document", "erase"):
        assert f"cli:kb.{what}" in endpoints, what


def test_kb_errors_say_what_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    missing = agadir(home, "kb", "search", "nope", "x")
    assert missing.returncode != 0
    assert "agadir kb list" in missing.stdout + missing.stderr
    bad = agadir(home, "kb", "create", "Bad Name", "--purpose", "x", "--legal-basis", "y")
    assert bad.returncode != 0 and "invalid knowledge base name" in bad.stdout + bad.stderr
    nobody = agadir(home, "kb", "create", "x1", "--owner", "ghost", "--purpose", "x",
                    "--legal-basis", "y")  # fmt: skip
    assert nobody.returncode != 0 and "ghost" in nobody.stdout + nobody.stderr
