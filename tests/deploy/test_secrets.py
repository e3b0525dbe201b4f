"""k8s/secret.template.env lists every Secret key a container reads, and fills in none of them;
the Ingress sends only the webhook and health paths to the gateway, over TLS."""

from __future__ import annotations

import re

import pytest

from tests.deploy.conftest import K8S, OVERLAYS, env_file

TEMPLATE = K8S / "secret.template.env"


def template() -> dict[str, str]:
    return env_file(TEMPLATE.read_text())


def secret_keys(node: object) -> set[str]:
    """Every secretKeyRef key anywhere in the manifests (containers, init containers, CronJobs)."""
    if isinstance(node, list):
        return set().union(*(secret_keys(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["secretKeyRef"]["key"]} if "secretKeyRef" in node else set()
    return found.union(*(secret_keys(value) for value in node.values()))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_key_read_is_in_the_template(overlay, manifests) -> None:
    used = secret_keys(manifests[overlay])
    assert len(used) >= 8
    assert used <= set(template()), used - set(template())


def test_the_template_fills_in_no_value() -> None:
    filled = {key for key, value in template().items() if value.strip()}
    assert not filled


def test_the_template_lists_the_readme_secret_table() -> None:
    readme = (K8S.parent / "README.md").read_text()
    table = readme.split("| key | read by |", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"`([A-Z_]+)`", table))
    assert listed == set(template())


def test_the_ingress_exposes_only_the_webhook_and_health_of_the_gateway(manifests) -> None:
    (ingress,) = [d for d in manifests["production"] if d["kind"] == "Ingress"]
    routes = {
        (rule["host"], path["path"]): path["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    to_gateway = {where for where, svc in routes.items() if svc["name"] == "gateway"}
    assert {path for _, path in to_gateway} == {"/webhook/whatsapp", "/healthz"}
    assert all(svc["port"]["number"] == 8000 for svc in routes.values() if svc["name"] == "gateway")
    dashboard_hosts = {host for (host, _), svc in routes.items() if svc["name"] == "dashboard"}
    gateway_hosts = {host for host, _ in to_gateway}
    assert dashboard_hosts and not dashboard_hosts & gateway_hosts
    tls_hosts = {host for entry in ingress["spec"]["tls"] for host in entry["hosts"]}
    assert gateway_hosts | dashboard_hosts <= tls_hosts
    assert all(entry["secretName"] for entry in ingress["spec"]["tls"])
    # Twilio signs the URL it calls: the webhook host must be PUBLIC_BASE_URL's.
    (config,) = [d for d in manifests["production"] if d["kind"] == "ConfigMap"]
    assert gateway_hosts == {config["data"]["PUBLIC_BASE_URL"].removeprefix("https://")}


def test_the_runbook_has_one_entry_per_alert() -> None:
    rules = (K8S / "components" / "monitoring" / "rules.yaml").read_text()
    alerts = set(re.findall(r"- alert: (\w+)", rules))
    runbook = (
        (K8S.parent / "docs" / "operations.md").read_text().split("## Alerts and runbook", 1)[1]
    )
    entries = set(re.findall(r"^- \*\*(\w+)\*\*", runbook, re.MULTILINE))
    assert len(alerts) >= 5
    assert entries == alerts
