"""checkov passes on what we deploy: every overlay as kustomize renders it, the Dockerfile,
docker-compose.yml and the env templates, with only the skips listed (each with its reason) in
.checkov.yaml, and without reaching the network."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.deploy.conftest import K8S, OVERLAYS, run, tool
from tests.servers import ConnectionCounter

CONFIG = ROOT / ".checkov.yaml"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# Scanned as they are (secrets, Dockerfile); compose has no checkov framework of its own.
FILES = ("Dockerfile", "docker-compose.yml", ".env.example", "k8s/secret.template.env")
# A credential in a URL, as a mistaken .env.example line would carry it: the secrets scanner
# must catch it, or a clean result would only mean that it did not run.
CANARY = "DATABASE_URL=postgresql://collegebot:s3cr3t-example-pw@db.example.edu:5432/collegebot\n"


def skips() -> dict[str, str]:
    """The skipped checks of .checkov.yaml, each with its one-line reason (its comment)."""
    found = {}
    lines = CONFIG.read_text().split("skip-check:", 1)[1].splitlines()
    for line in lines:
        if line.strip().startswith("- "):
            check, _, reason = line.strip()[2:].partition("#")
            found[check.strip()] = reason.strip()
    assert set(found) == set(yaml.safe_load(CONFIG.read_text())["skip-check"])
    return found


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """A folder with every overlay rendered, copies of the files above and the canary."""
    if not CHECKOV.exists():
        pytest.fail("checkov is missing: `make checkov` (make test runs it) installs .venv-checkov")
    folder = tmp_path_factory.mktemp("checkov")
    for overlay in OVERLAYS:
        done = run(tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay))
        assert done.returncode == 0, done.stderr
        (folder / f"{overlay}.yaml").write_text(done.stdout)
    for name in FILES:
        shutil.copy(ROOT / name, folder / Path(name).name)
    (folder / "canary.env").write_text(CANARY)
    return folder


def checkov(folder: Path, *args: str) -> tuple[list[dict], int]:
    """Run checkov offline; return its reports and how many connections it tried to make."""
    counter = ConnectionCounter()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_"))}
    env.update(
        BC_SKIP_MAPPING="TRUE",  # no mapping of checks to guidelines from the platform
        CKV_SKIP_PACKAGE_UPDATE_CHECK="true",  # no look-up of a newer release
        # Any attempt to reach the network goes to the counter instead.
        **{k: counter.url for k in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")},
    )
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    try:
        done = subprocess.run(
            [str(CHECKOV), "-d", str(folder), "-o", "json", *args],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=folder,
        )
    finally:
        counter.close()
    assert done.stdout.strip(), done.stderr
    reports = json.loads(done.stdout)
    return (reports if isinstance(reports, list) else [reports]), counter.connections


def failures(reports: list[dict]) -> set[tuple[str, str]]:
    return {
        (check["check_id"], Path(check["file_path"]).name)
        for report in reports
        for check in report["results"]["failed_checks"]
    }


def test_every_skip_has_a_reason() -> None:
    listed = skips()
    assert listed
    for check, reason in listed.items():
        assert re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check), check
        assert len(reason.split()) >= 4, f"{check}: say why it is skipped"


def test_checkov_passes_with_only_the_listed_skips(scanned) -> None:
    reports, connections = checkov(scanned, "--config-file", str(CONFIG))
    assert connections == 0, "checkov tried to reach the network"
    ran = {r["check_type"]: r["summary"] for r in reports}
    assert ran["kubernetes"]["passed"] > 500 and ran["dockerfile"]["passed"] > 50, ran
    assert ran["kubernetes"]["parsing_errors"] == 0
    scanned_files = {
        Path(c["file_path"]).name
        for r in reports
        if r["check_type"] == "kubernetes"
        for c in r["results"]["passed_checks"]
    }
    assert scanned_files == {f"{o}.yaml" for o in OVERLAYS}
    failed = failures(reports)
    assert ("CKV_SECRET_4", "canary.env") in failed, "the secrets scan did not run"
    assert failed == {("CKV_SECRET_4", "canary.env")}, failed


def test_each_skip_is_still_needed(scanned) -> None:
    """A skip whose check passes everywhere is stale: drop it from .checkov.yaml."""
    listed = skips()
    reports, connections = checkov(
        scanned,
        "--skip-download",
        "--framework",
        "kubernetes",
        "dockerfile",
        "--check",
        ",".join(listed),
    )
    assert connections == 0
    assert {check for check, _ in failures(reports)} == set(listed)
