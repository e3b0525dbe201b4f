"""The kustomize overlays build, validate against Kubernetes' schemas, and hold what an SRE
expects of every workload: probes, resources, non-root, an HPA and a PDB per service, settings
that the code reads, images the Dockerfile builds, alerts on metrics the code exports."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from tests.conftest import ROOT
from tests.deploy.conftest import (
    KUBERNETES_VERSION,
    OVERLAYS,
    SERVICES,
    SETTINGS,
    dockerfile_stages,
    fixed_ports,
    run,
    target_of,
    tool,
)

WORKLOADS = {"Deployment", "StatefulSet", "Job", "CronJob"}


def test_there_is_a_production_overlay() -> None:
    assert "production" in OVERLAYS


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_strictly(overlay, manifests, tmp_path) -> None:
    built = tmp_path / f"{overlay}.yaml"
    built.write_text(yaml.safe_dump_all(manifests[overlay]))
    done = run(tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(built))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed for resource deployment/gateway" in done.stdout


def pod_specs(docs: list[dict]) -> Iterator[tuple[dict, dict]]:
    for doc in docs:
        if doc["kind"] == "CronJob":
            yield doc, doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif doc["kind"] in WORKLOADS:
            yield doc, doc["spec"]["template"]["spec"]


def containers(docs: list[dict]) -> Iterator[tuple[dict, dict]]:
    for doc, pod in pod_specs(docs):
        for container in pod.get("initContainers", []) + pod["containers"]:
            yield doc, container


def is_ours(container: dict) -> bool:
    """Built from our Dockerfile (runs our code and reads our settings), not a third party's
    image such as the dev overlay's PostgreSQL."""
    return container["image"].rsplit("/", 1)[-1].startswith("collegebot-")


def our_containers(docs: list[dict]) -> Iterator[tuple[dict, dict]]:
    return ((doc, c) for doc, c in containers(docs) if is_ours(c))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_sized_and_runs_as_non_root(overlay, manifests) -> None:
    checked = 0
    for doc, pod in pod_specs(manifests[overlay]):
        where = f"{overlay}: {doc['kind']}/{doc['metadata']['name']}"
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] > 0, where
        assert pod["automountServiceAccountToken"] is False, where
        for container in pod.get("initContainers", []) + pod["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            # A read-only root still needs a writable /tmp (tempfile).
            assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}, where
            checked += 1
    assert checked >= 7


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_long_running_containers_have_the_right_probes(overlay, manifests) -> None:
    for doc in manifests[overlay]:
        if doc["kind"] not in {"Deployment", "StatefulSet"}:
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            for probe in ("readinessProbe", "livenessProbe"):
                check = container[probe]
                if not is_ours(container):  # its own client (pg_isready), on its own address
                    assert check["exec"]["command"], (overlay, container["name"])
                elif "grpc" in ports:  # gRPC services answer grpc.health.v1 (native probes)
                    assert check["grpc"]["port"] == ports["grpc"], (overlay, container["name"])
                else:
                    assert check["httpGet"]["port"] in ports, (overlay, container["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_listen_on_the_fixed_ports(overlay, manifests) -> None:
    docs = manifests[overlay]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == set(SERVICES)
    for name, ports in fixed_ports().items():
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert {p["containerPort"] for p in container["ports"]} == ports, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_scales_and_survives_drains(overlay, manifests) -> None:
    docs = manifests[overlay]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    hpas = {
        d["spec"]["scaleTargetRef"]["name"]: d
        for d in docs
        if d["kind"] == "HorizontalPodAutoscaler" and d["apiVersion"] == "autoscaling/v2"
    }
    pdbs = [
        d["spec"]["selector"]["matchLabels"] for d in docs if d["kind"] == "PodDisruptionBudget"
    ]
    services = [d for d in docs if d["kind"] == "Service"]
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert name in hpas, f"{overlay}: no HPA for {name}"
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the replica count"
        assert hpas[name]["spec"]["minReplicas"] <= hpas[name]["spec"]["maxReplicas"]
        assert any(sel.items() <= labels.items() for sel in pdbs), f"{overlay}: no PDB for {name}"
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        port_names = {p["name"] for p in container["ports"]}
        fronting = [s for s in services if s["spec"]["selector"].items() <= labels.items()]
        assert fronting, f"{overlay}: no Service for {name}"
        for port in fronting[0]["spec"]["ports"]:
            assert port["targetPort"] in port_names, (name, port)
        if "grpc" in port_names:  # the gateway balances over the replicas itself
            assert fronting[0]["spec"]["clusterIP"] == "None", name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_pod_outlives_its_own_shutdown(overlay, manifests) -> None:
    """Kubernetes kills the pod at terminationGracePeriodSeconds: that must cover the preStop
    pause (endpoints are removed before uvicorn stops accepting) and every step of the
    gateway's own shutdown, with the deadlines the overlay configures."""
    from collegebot.settings import GatewaySettings
    from services.gateway.app import shutdown_budget_s

    docs = manifests[overlay]
    (gateway,) = [
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "gateway"
    ]
    pod = gateway["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    config = {
        key.lower(): value
        for doc in docs
        if doc["kind"] == "ConfigMap"
        for key, value in doc["data"].items()
        if key.lower() in GatewaySettings.model_fields
    }
    budget = shutdown_budget_s(GatewaySettings(**config))
    assert pause >= 1
    assert pod["terminationGracePeriodSeconds"] >= pause + budget, (pause, budget)


def environment(overlay_docs: list[dict]) -> Iterator[tuple[str, str]]:
    """(variable, where) for every variable one of our containers gets, directly or from a
    ConfigMap."""
    for doc in overlay_docs:
        if doc["kind"] == "ConfigMap":
            for key in doc["data"]:
                yield key, f"ConfigMap/{doc['metadata']['name']}"
    for _, container in our_containers(overlay_docs):
        for var in container.get("env", []):
            yield var["name"], container["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_is_a_setting_the_code_reads(overlay, manifests) -> None:
    found = list(environment(manifests[overlay]))
    assert len(found) > 10
    unknown = [(name, where) for name, where in found if name not in SETTINGS]
    assert not unknown, unknown


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_read_config_and_documented_secrets_only(overlay, manifests) -> None:
    readme = (ROOT / "README.md").read_text()
    production = readme[readme.index("## Production") :]
    config_maps = {d["metadata"]["name"] for d in manifests[overlay] if d["kind"] == "ConfigMap"}
    for _, container in our_containers(manifests[overlay]):
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in config_maps, container["name"]
        for var in container.get("env", []):
            ref = var["valueFrom"]["secretKeyRef"]  # literals belong in the ConfigMap
            assert ref["name"] == "collegebot"
            assert f"`{ref['key']}`" in production, f"README's Production omits {ref['key']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_image_is_a_dockerfile_target(overlay, manifests) -> None:
    targets = set(dockerfile_stages())
    images = {c["image"] for _, c in our_containers(manifests[overlay])}
    assert {target_of(i) for i in images} >= set(SERVICES)
    assert {target_of(i) for i in images} <= targets, images
    # Anyone else's image by a fixed tag (or digest): never `latest`, never untagged.
    for _, container in containers(manifests[overlay]):
        name = container["image"].rsplit("/", 1)[-1]
        assert "@" in name or name.partition(":")[2] not in {"", "latest"}, container["image"]


# --- the monitoring component -------------------------------------------------------------------


def exported_metrics() -> set[str]:
    """Every sample name the services register, from the code itself."""
    import collegebot.grpc_telemetry  # noqa: F401
    import services.gateway.app  # noqa: F401
    import services.gateway.records  # noqa: F401
    import services.gateway.webhook  # noqa: F401
    import services.llm.generate  # noqa: F401
    import services.llm.server  # noqa: F401
    import services.rag.server  # noqa: F401

    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"]}
    return {"up"} | {
        metric.name + suffix
        for metric in REGISTRY.collect()
        for suffix in suffixes.get(metric.type, [])
    }


def monitored(manifests) -> list[dict]:
    with_rules = [o for o in OVERLAYS if any(d["kind"] == "PrometheusRule" for d in manifests[o])]
    assert "production" in with_rules
    return manifests["production"]


def test_alert_rules_use_only_exported_metrics(manifests) -> None:
    exported = exported_metrics()
    (rule,) = [d for d in monitored(manifests) if d["kind"] == "PrometheusRule"]
    exprs = [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]]
    used = {
        m
        for e in exprs
        for m in re.findall(r"\b(collegebot_\w+|grpc_(?:server|client)_\w+|up)\b(?=[{\[\s)])", e)
    }
    assert len(used) >= 6
    assert used <= exported, used - exported


def test_alert_rules_pass_promtool(manifests, tmp_path: Path) -> None:
    (rule,) = [d for d in monitored(manifests) if d["kind"] == "PrometheusRule"]
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(rule["spec"]))
    done = run(tool("promtool"), "check", "rules", str(rules))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
    # Each alert fires on trouble and stays quiet on a healthy service (alerts_test.yaml).
    shutil.copy(Path(__file__).with_name("alerts_test.yaml"), tmp_path)
    done = run(tool("promtool"), "test", "rules", "alerts_test.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_monitoring_objects_match_the_operators_schema(manifests) -> None:
    # kubernetes-validate skips custom resources; the operator's own models check them.
    from cloudcoil.models.prometheus_operator.v1 import PrometheusRule, ServiceMonitor

    models = {"ServiceMonitor": ServiceMonitor, "PrometheusRule": PrometheusRule}
    custom = [d for d in monitored(manifests) if d["kind"] in models]
    assert len(custom) == 5
    for doc in custom:
        models[doc["kind"]].model_validate(doc)


def test_service_monitors_scrape_real_ports(manifests) -> None:
    docs = monitored(manifests)
    services = [d for d in docs if d["kind"] == "Service"]
    monitors = [d for d in docs if d["kind"] == "ServiceMonitor"]
    assert {m["metadata"]["name"] for m in monitors} == {"gateway", "rag", "llm", "dashboard"}
    for monitor in monitors:
        selector = monitor["spec"]["selector"]["matchLabels"]
        (service,) = [s for s in services if selector.items() <= s["metadata"]["labels"].items()]
        names = {p["name"] for p in service["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= names


def test_compose_prometheus_loads_the_same_alerts_as_kubernetes(manifests) -> None:
    """deploy/prometheus/alerts.yml is the PrometheusRule's spec (`make alerts` writes it), and
    compose's scrape config passes promtool with it."""
    (rule,) = [d for d in monitored(manifests) if d["kind"] == "PrometheusRule"]
    plain = ROOT / "deploy" / "prometheus"
    assert yaml.safe_load((plain / "alerts.yml").read_text()) == rule["spec"]
    done = run(tool("promtool"), "check", "config", str(plain / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    jobs = {
        j["job_name"]
        for j in yaml.safe_load((plain / "prometheus.yml").read_text())["scrape_configs"]
    }
    assert jobs == {
        m["metadata"]["name"] for m in monitored(manifests) if m["kind"] == "ServiceMonitor"
    }
