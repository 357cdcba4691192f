"""The tenants, keys and audit command groups, driven in-process with an isolated home."""

from __future__ import annotations

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
    purged = runner.invoke(audit_cli.app, ["purge", "--keep", "180d"])
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
