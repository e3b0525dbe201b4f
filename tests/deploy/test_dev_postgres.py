"""The dev overlay's in-cluster PostgreSQL (k8s/components/dev-postgres): a StatefulSet on its
own claim behind a Service, only in the dev overlay, reachable by the store's users alone once
composed with the network-policies component, and a secrets.env from make-secrets.sh whose
database URLs the services read as that very server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from tests.deploy.conftest import K8S, OVERLAYS, env_file, run, tool

DEV = "dev"
URL_KEYS = ("DATABASE_URL", "MIGRATION_DATABASE_URL", "DASHBOARD_DATABASE_URL")


def one(docs: list[dict], kind: str, name: str) -> dict:
    (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def postgres_container(docs: list[dict]) -> dict:
    (container,) = one(docs, "StatefulSet", "postgres")["spec"]["template"]["spec"]["containers"]
    return container


def test_only_the_dev_overlay_runs_postgres(manifests) -> None:
    assert DEV in OVERLAYS
    for overlay in OVERLAYS:
        names = {d["metadata"]["name"] for d in manifests[overlay] if d["kind"] == "StatefulSet"}
        assert ("postgres" in names) == (overlay == DEV), overlay


def test_postgres_keeps_its_data_on_a_claim_behind_a_service(manifests) -> None:
    docs = manifests[DEV]
    statefulset = one(docs, "StatefulSet", "postgres")
    service = one(docs, "Service", "postgres")
    assert statefulset["spec"]["serviceName"] == service["metadata"]["name"]
    assert statefulset["spec"]["replicas"] == 1
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    container = postgres_container(docs)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    ((service_port,),) = [[p for p in service["spec"]["ports"]]]
    assert ports[service_port["targetPort"]] == service_port["port"] == 5432
    # The data folder (PGDATA) lies on the claim, below its root (lost+found).
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PGDATA"].startswith(mounts[claim["metadata"]["name"]] + "/")
    # A read-only root: the socket folder and /tmp are the other places it writes.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"/var/run/postgresql", "/tmp"} <= set(mounts.values())


def pods(docs: list[dict]) -> Iterator[tuple[str, list[dict]]]:
    """(app label, containers) of every workload."""
    for doc in docs:
        template = doc.get("spec", {}).get("template") or doc.get("spec", {}).get(
            "jobTemplate", {}
        ).get("spec", {}).get("template")
        if template:
            spec = template["spec"]
            yield (
                template["metadata"]["labels"]["app.kubernetes.io/name"],
                spec.get("initContainers", []) + spec["containers"],
            )


def store_users(docs: list[dict]) -> set[str]:
    """The apps with a container that reads DATABASE_URL (from whichever Secret key)."""
    return {
        app
        for app, containers in pods(docs)
        for c in containers
        if any(e["name"] == "DATABASE_URL" for e in c.get("env", []))
    }


def test_store_users_are_the_ones_the_component_lets_in(manifests) -> None:
    """The component's policy and patches name the store's users; they must be exactly the
    apps that read a database URL, or one of them would be cut off from the store."""
    docs = manifests[DEV]
    users = store_users(docs)
    assert {"gateway", "rag", "dashboard", "setup", "purge"} <= users
    policy = one(docs, "NetworkPolicy", "postgres")
    (rule,) = policy["spec"]["ingress"]
    admitted = {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in rule["from"]
    }
    assert admitted == users
    to_postgres = {
        p["metadata"]["name"]
        for p in docs
        if p["kind"] == "NetworkPolicy"
        for r in p["spec"].get("egress", [])
        for peer in r.get("to", [])
        if peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
        == "postgres"
    }
    assert to_postgres == users


def test_the_component_builds_without_the_network_policies(tmp_path) -> None:
    """Composes either way: alone, its patches of the other policies select nothing."""
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources: [{os.path.relpath(K8S / 'base', tmp_path)}]\n"
        f"components: [{os.path.relpath(K8S / 'components' / 'dev-postgres', tmp_path)}]\n"
    )
    done = run(tool("kubectl"), "kustomize", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "kind: StatefulSet\nmetadata:\n  labels:" in done.stdout
    assert "name: default-deny" not in done.stdout and "name: postgres" in done.stdout


def make_secrets() -> dict[str, str]:
    done = subprocess.run(
        [str(K8S / "overlays" / DEV / "make-secrets.sh")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return env_file(done.stdout)


def test_make_secrets_points_every_store_user_at_the_in_cluster_server(
    manifests, monkeypatch
) -> None:
    from collegebot.settings import StoreSettings

    docs = manifests[DEV]
    secrets = make_secrets()
    template = env_file((K8S / "secret.template.env").read_text())
    assert set(secrets) == set(template)
    container = postgres_container(docs)
    env = {e["name"]: e for e in container["env"]}
    assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "POSTGRES_PASSWORD"
    service = one(docs, "Service", "postgres")
    (config,) = [d for d in docs if d["kind"] == "ConfigMap"]
    for key in URL_KEYS:
        # As the services read it: DATABASE_URL plus the overlay's ConfigMap.
        monkeypatch.setenv("DATABASE_URL", secrets[key])
        monkeypatch.setenv("DATABASE_STATEMENT_CACHE", config["data"]["DATABASE_STATEMENT_CACHE"])
        store = StoreSettings()
        url = make_url(store.url)
        assert url.get_backend_name() == "postgresql", key
        assert (url.host, url.port) == (
            service["metadata"]["name"],
            service["spec"]["ports"][0]["port"],
        )
        assert url.username == env["POSTGRES_USER"]["value"], key
        assert url.database == env["POSTGRES_DB"]["value"], key
        assert url.password == secrets["POSTGRES_PASSWORD"], key
        # No pooler in front: prepared statements may be kept.
        assert store.database_statement_cache is True
    assert len(secrets["POSTGRES_PASSWORD"]) >= 32
    for key in ("SENDER_HASH_KEY", "DASHBOARD_PASSWORD", "DASHBOARD_SECRET_KEY"):
        assert len(secrets[key]) >= 32, key
    again = make_secrets()
    assert again["POSTGRES_PASSWORD"] != secrets["POSTGRES_PASSWORD"]


@pytest.mark.parametrize("key", ["TWILIO_AUTH_TOKEN", "GROQ_API_KEY", "SENTRY_DSN", "REDIS_URL"])
def test_make_secrets_leaves_outside_accounts_empty(key) -> None:
    assert make_secrets()[key] == ""
