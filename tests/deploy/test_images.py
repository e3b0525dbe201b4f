"""The four images build from the Dockerfile and, started as compose hardens them (read-only
root, no capabilities, no new privileges), answer a student: migrate and ingest in the rag image,
then gateway, rag, llm and dashboard as containers on the host's network.

A build on a stand-in base: no registry is reachable here, so python:3.11-slim-bookworm is made
from Debian's packages (tests/servers.py, import_standin_base); pip installs each image's
packages from PyPI as in any build. Skips when no Docker engine can be started."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, base_env, run_cli
from tests.deploy.conftest import SERVICES
from tests.servers import DockerEngine, answers_200, free_port, import_standin_base

pytestmark = pytest.mark.images

STATE = "/var/lib/collegebot"  # COLLEGEBOT_STATE_DIR in the Dockerfile


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = DockerEngine()
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture(scope="module")
def built(engine: DockerEngine) -> dict[str, float]:
    """Each service's image, built as README says; the seconds each build took."""
    base = next(
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("FROM ")
    )
    import_standin_base(engine, base)
    seconds = {}
    for service in SERVICES:
        start = time.monotonic()
        engine.docker(
            "build", "--network", "host", "--target", service, "-t", f"collegebot-{service}",
            str(ROOT),
        )  # fmt: skip
        seconds[service] = time.monotonic() - start
    return seconds


def hardening() -> list[str]:
    """docker run's flags for what docker-compose.yml's x-hardened sets on our containers."""
    hardened = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-hardened"]
    flags = ["--read-only"] if hardened["read_only"] else []
    flags += [f"--tmpfs={path}" for path in hardened["tmpfs"]]
    flags += [f"--cap-drop={cap}" for cap in hardened["cap_drop"]]
    flags += [f"--security-opt={option}" for option in hardened["security_opt"]]
    return flags


def test_each_image_runs_as_the_pods_user(engine, built, manifests) -> None:
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["securityContext"]
        for d in manifests["production"]
        if d["kind"] == "Deployment"
    }
    for service in SERVICES:
        done = engine.docker(
            "run", "--rm", "--network", "none", f"collegebot-{service}",
            "python", "-c", "import os; print(os.getuid(), os.getgid())",
        )  # fmt: skip
        wanted = pods[service]["runAsUser"], pods[service]["runAsGroup"]
        assert tuple(map(int, done.stdout.split())) == wanted, service


def wait_ok(url: str, engine: DockerEngine, container: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while not answers_200(url):
        if time.monotonic() > deadline:
            logs = engine.docker("logs", container, check=False)
            pytest.fail(f"{url} never answered 200:\n{logs.stdout[-2000:]}{logs.stderr[-2000:]}")
        time.sleep(0.5)


def test_the_images_answer_a_student(engine, built, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, 10001, 10001)  # the images' user (the test above checks it)
    port = {name: free_port() for name in ("gateway", "dashboard", "rag", "llm", "rm", "lm")}
    settings = {
        "COLLEGEBOT_ENV": "development",
        "BIND_HOST": "127.0.0.1",
        "GATEWAY_PORT": port["gateway"],
        "DASHBOARD_PORT": port["dashboard"],
        "RAG_PORT": port["rag"],
        "LLM_PORT": port["llm"],
        "RAG_METRICS_PORT": port["rm"],
        "LLM_METRICS_PORT": port["lm"],
        "RAG_ADDRESS": f"127.0.0.1:{port['rag']}",
        "LLM_ADDRESS": f"127.0.0.1:{port['llm']}",
    }
    run = [
        "run", "--network", "host", *hardening(), f"--volume={state}:{STATE}",
        *(f"--env={k}={v}" for k, v in settings.items()),
    ]  # fmt: skip
    # The one-shot steps compose runs first, in the rag image (SQLite and the embedded index in
    # the shared state folder stand in for PostgreSQL and the Chroma server).
    engine.docker(*run, "--rm", "collegebot-rag", "collegebot", "migrate")
    engine.docker(*run, "--rm", "collegebot-rag", "collegebot", "ingest", "--local")
    for service in SERVICES:
        engine.docker(*run, "--detach", f"--name={service}", f"collegebot-{service}")
    # /readyz: 200 only once the gateway reaches rag and llm (both SERVING over gRPC).
    wait_ok(f"http://127.0.0.1:{port['gateway']}/readyz", engine, "rag")
    wait_ok(f"http://127.0.0.1:{port['dashboard']}/healthz", engine, "dashboard")
    env = base_env(tmp_path / "cli") | {"GATEWAY_PORT": str(port["gateway"])}
    done = run_cli("ask", "What is the hostel fee per semester?", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "42,000" in done.stdout and "hostel" in done.stdout.lower(), done.stdout
