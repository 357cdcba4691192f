"""The deployment files in deploy/ (docs/deploy.md) stay valid: Kubernetes manifests against the
bundled API schemas (offline), agadir.toml in the ConfigMap against the settings, the systemd
unit with `systemd-analyze verify`, the nginx config with `nginx -t` where nginx is installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from agadir.config import Settings

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"  # the oldest release still supported upstream when written


def _manifests() -> list[dict[str, object]]:
    return [
        doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())
    ]


def test_manifests_validate_against_the_kubernetes_schemas() -> None:
    docs = _manifests()
    kinds = {doc["kind"] for doc in docs}
    assert kinds == {"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"}
    for doc in docs:  # strict: an unknown or misspelt field fails too
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_catches_a_wrong_manifest() -> None:
    deployment = next(doc for doc in _manifests() if doc["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_the_manifests_agree_with_each_other() -> None:
    docs = {doc["kind"]: doc for doc in _manifests()}
    pod = docs["Deployment"]["spec"]["template"]  # type: ignore[index]
    labels = pod["metadata"]["labels"]
    assert docs["Service"]["spec"]["selector"] == labels  # type: ignore[index]
    assert docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels  # type: ignore[index]
    container = pod["spec"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    secret_keys = set(docs["Secret"]["stringData"])  # type: ignore[arg-type]
    assert {"database-url", "audit.key"} <= secret_keys
    config = tomllib.loads(docs["ConfigMap"]["data"]["agadir.toml"])  # type: ignore[index]
    Settings.model_validate(config)  # the ConfigMap's agadir.toml is a valid configuration


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed: the unit is documented, not verified")
    unit = (ROOT / "deploy" / "systemd" / "agadir@.service").read_text()
    agadir = Path(sys.executable).parent / "agadir"  # the unit's ExecStart must exist to verify
    (tmp_path / "agadir@.service").write_text(
        unit.replace("/opt/agadir/.venv/bin/agadir", str(agadir))
    )
    result = subprocess.run(
        [analyze, "verify", str(tmp_path / "agadir@8081.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agadir@8081.service" not in result.stderr, result.stderr


def test_nginx_config_parses(tmp_path: Path) -> None:
    nginx = shutil.which("nginx")
    if nginx is None:
        pytest.skip("nginx not installed: deploy/nginx/agadir.conf is documented, not tested")
    conf = tmp_path / "nginx.conf"
    site = (ROOT / "deploy" / "nginx" / "agadir.conf").read_text()
    site = site.replace("listen 443 ssl;", "listen 127.0.0.1:8443;").replace("http2 on;", "")
    site = "\n".join(line for line in site.splitlines() if "ssl_certificate" not in line)
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{\n{site}\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_deploy_doc_is_linked() -> None:
    assert "docs/deploy.md" in (ROOT / "README.md").read_text()
    assert "deploy.md" in (ROOT / "docs" / "operations.md").read_text()
