"""The tenants, keys and audit command groups, driven in-process with an isolated home."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from agadir.audit import AuditRecord, AuditWriter, load_or_create_key
from agadir.cli import audit as audit_cli
from agadir.cli import keys as keys_cli
from agadir.cli import tenants as tenants_cli
from agadir.governance import AuthenticationError, KeyService, TenantNotFoundError
from agadir.store import open_store


@pytest.fixture
def env(tmp_path, url, monkeypatch):
    monkeypatch.setenv("AGADIR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AGADIR_DATABASE_URL", url)
    monkeypatch.delenv("AGADIR_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return {"home": tmp_path / "home", "url": url}


def test_tenant_and_key_lifecycle(env):
    runner = CliRunner()
    assert runner.invoke(tenants_cli.app, ["create", "acme", "--rpm", "60"]).exit_code == 0
    listed = runner.invoke(tenants_cli.app, ["list"])
    assert "acme" in listed.output and "60/min req" in listed.output

    created = runner.invoke(
        keys_cli.app,
        ["create", "--tenant", "acme", "--scopes", "chat,models:*", "--expires", "30d"],
    )
    assert created.exit_code == 0, created.output
    raw = next(line for line in created.output.splitlines() if line.startswith("agk_"))
    store = open_store(env["url"])
    principal = KeyService(store).authenticate(raw)
    assert principal.tenant.name == "acme" and principal.allows("models:any")

    listing = runner.invoke(keys_cli.app, ["list"])
    assert principal.key_id in listing.output and raw not in listing.output
    rotated = runner.invoke(keys_cli.app, ["rotate", principal.key_id])
    assert rotated.exit_code == 0
    with pytest.raises(AuthenticationError):
        KeyService(store).authenticate(raw)
    store.close()


def test_errors_are_typed_for_the_main_handler(env):
    runner = CliRunner()
    result = runner.invoke(keys_cli.app, ["create", "--tenant", "ghost", "--scopes", "chat"])
    assert result.exit_code != 0 and isinstance(result.exception, TenantNotFoundError)
    assert "agadir tenants list" in result.exception.message


def test_audit_verify_export_purge(env, tmp_path):
    store = open_store(env["url"])
    writer = AuditWriter(store, load_or_create_key(env["home"])).start()
    for i in range(5):
        writer.append_sync(AuditRecord("chat", 200, tenant="acme", ts=1_600_000_000.0 + i))
    writer.close()
    runner = CliRunner()
    verified = runner.invoke(audit_cli.app, ["verify"])
    assert verified.exit_code == 0 and "5 records verified" in verified.output
    out = tmp_path / "audit.jsonl"
    exported = runner.invoke(audit_cli.app, ["export", "--tenant", "acme", "-o", str(out)])
    assert exported.exit_code == 0 and len(out.read_text().splitlines()) == 5
    emptying = runner.invoke(audit_cli.app, ["purge", "--keep", "180d"])
    assert emptying.exit_code == 2 and "would empty the audit log" in emptying.output
    purged = runner.invoke(audit_cli.app, ["purge", "--keep", "180d", "--force"])
    assert purged.exit_code == 0 and "purged 5 records" in purged.output
    assert runner.invoke(audit_cli.app, ["verify"]).exit_code == 0
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET tenant = 'x'")
    broken = runner.invoke(audit_cli.app, ["verify"])
    assert broken.exit_code == 1 and "broken" in broken.output
    store.close()


@pytest.mark.parametrize("records", [0, 3])
def test_audit_verify_with_the_chain_head_deleted_gives_a_verdict(env, records):
    """Deleting the signed head row is tampering: a one-line verdict and exit 1, no traceback."""
    store = open_store(env["url"])
    writer = AuditWriter(store, load_or_create_key(env["home"])).start()
    for _ in range(records):
        writer.append_sync(AuditRecord("chat", 200, tenant="acme"))
    writer.close()
    with store.write() as conn:
        conn.exec_driver_sql("DELETE FROM audit_head")
    store.close()
    result = CliRunner().invoke(audit_cli.app, ["verify"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "broken" in result.output and "head is missing" in result.output
    assert "Traceback" not in result.output and "None" not in result.output


def test_audit_purge_refuses_a_window_under_the_documented_minimum(env):
    """`--keep 18d` for `180d` is one keystroke; it must not erase four months of records."""
    store = open_store(env["url"])
    writer = AuditWriter(store, load_or_create_key(env["home"])).start()
    now = time.time()
    for age_days in (40, 20, 1):
        writer.append_sync(AuditRecord("chat", 200, tenant="acme", ts=now - age_days * 86400))
    writer.close()
    runner = CliRunner()
    refused = runner.invoke(audit_cli.app, ["purge", "--keep", "30d"])
    assert refused.exit_code == 2
    assert "shorter than the documented minimum of 180 days" in refused.output
    assert "3 records verified" in runner.invoke(audit_cli.app, ["verify"]).output
    forced = runner.invoke(audit_cli.app, ["purge", "--keep", "30d", "--force"])
    assert forced.exit_code == 0 and "purged 1 records" in forced.output
    assert runner.invoke(audit_cli.app, ["verify"]).exit_code == 0
    kept = runner.invoke(audit_cli.app, ["purge", "--keep", "180d"])  # nothing that old: fine
    assert kept.exit_code == 0 and "no record purged" in kept.output
    store.close()


def _events(url: str) -> list[dict[str, object]]:
    """The `cli:*` events in the chain, in order (the endpoint is inside the hashed body)."""
    store = open_store(url)
    with store.read() as conn:
        bodies = conn.exec_driver_sql("SELECT body FROM audit_log ORDER BY seq").scalars().all()
    store.close()
    records = [json.loads(body) for body in bodies]
    return [r for r in records if str(r.get("endpoint", "")).startswith("cli:")]


def test_shell_changes_to_tenants_and_keys_are_audited(env):
    runner = CliRunner()
    assert runner.invoke(tenants_cli.app, ["create", "coop"]).exit_code == 0
    created = runner.invoke(keys_cli.app, ["create", "--tenant", "coop", "--scopes", "chat"])
    raw = next(line for line in created.output.splitlines() if line.startswith("agk_"))
    key_id = raw.split("_")[1]
    rotated = runner.invoke(keys_cli.app, ["rotate", key_id, "--grace", "10m"])
    assert rotated.exit_code == 0 and "keeps working until" in rotated.output
    new_raw = next(line for line in rotated.output.splitlines() if line.startswith("agk_"))
    store = open_store(env["url"])
    assert KeyService(store).authenticate(raw).key_id == key_id  # within the grace period
    store.close()
    assert runner.invoke(keys_cli.app, ["revoke", new_raw.split("_")[1]]).exit_code == 0
    assert runner.invoke(tenants_cli.app, ["disable", "coop"]).exit_code == 0
    assert runner.invoke(tenants_cli.app, ["enable", "coop"]).exit_code == 0

    events = _events(env["url"])
    assert [e["endpoint"] for e in events] == [
        "cli:tenants.create",
        "cli:keys.create",
        "cli:keys.rotate",
        "cli:keys.revoke",
        "cli:tenants.disable",
        "cli:tenants.enable",
    ]
    body = json.dumps(events)
    assert raw not in body and new_raw not in body  # never a secret in the log
    assert key_id in body and "coop" in body
    verified = runner.invoke(audit_cli.app, ["verify"])
    assert verified.exit_code == 0 and "6 records verified" in verified.output


def test_keys_list_shows_whole_ids_on_a_narrow_terminal_and_as_json(env, monkeypatch):
    runner = CliRunner()
    runner.invoke(tenants_cli.app, ["create", "a-long-tenant-name"])
    created = runner.invoke(
        keys_cli.app,
        [
            "create",
            "--tenant",
            "a-long-tenant-name",
            "--scopes",
            "chat,embeddings,models:*",
            "--label",
            "citizen portal of the ministry",
        ],
    )
    key_id = next(ln for ln in created.output.splitlines() if ln.startswith("agk_")).split("_")[1]
    monkeypatch.setenv("COLUMNS", "60")
    narrow = runner.invoke(keys_cli.app, ["list"])
    assert narrow.exit_code == 0
    assert "…" not in narrow.output.split("\n", 3)[3].split("│")[1]  # the id column
    folded = "".join(
        line.split("│")[1].strip() for line in narrow.output.splitlines() if line.count("│") > 2
    )
    assert key_id in folded
    as_json = runner.invoke(keys_cli.app, ["list", "--format", "json"])
    [row] = json.loads(as_json.output)
    assert row["id"] == key_id and row["scopes"] == ["chat", "embeddings", "models:*"]
    as_tsv = runner.invoke(keys_cli.app, ["list", "--format", "tsv"]).output.splitlines()
    assert as_tsv[0].split("\t")[0] == "id" and as_tsv[1].split("\t")[0] == key_id
