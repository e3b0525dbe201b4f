"""What the deployment tests share: the checkers (installed into .venv by the dev extra, so a
machine without them fails loudly instead of skipping) and the manifests each overlay builds."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from collegebot.settings import ServiceAddresses
from tests.conftest import ROOT
from tests.shared.test_env_example import all_variables

K8S = ROOT / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
KUBERNETES_VERSION = "1.30.0"


def tool(name: str) -> str:
    """A checker from the venv's bin (kubectl, hadolint, kubernetes-validate) or the system
    (promtool, from scripts/system-deps.sh)."""
    found = Path(sys.executable).parent / name
    path = str(found) if found.exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: `make install` and scripts/system-deps.sh install it")
    return path


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def build(overlay: str) -> list[dict]:
    done = run(tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay))
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="session")
def manifests() -> dict[str, list[dict]]:
    return {overlay: build(overlay) for overlay in OVERLAYS}


def env_file(text: str) -> dict[str, str]:
    """KEY=value lines (as `kubectl create secret --from-env-file` reads them), comments aside."""
    pairs = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, line
            pairs[key.strip()] = value
    return pairs


def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    """Each stage of the Dockerfile with its instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, rest = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            current = stages.setdefault(rest.split()[-1], [])
        current.append((keyword.upper(), rest))
    return stages


def target_of(image: str) -> str:
    """`registry.example.edu/collegebot-rag:0.1.0` -> `rag` (images are named collegebot-TARGET)."""
    name = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    assert name.startswith("collegebot-"), image
    return name.removeprefix("collegebot-")


SETTINGS = all_variables()
SERVICES = ("gateway", "rag", "llm", "dashboard")


def fixed_ports() -> dict[str, set[int]]:
    """The ports each service listens on (DESIGN's fixed interface), from the settings' defaults."""
    port = {name: field.default for name, field in ServiceAddresses.model_fields.items()}
    return {
        "gateway": {port["gateway_port"]},
        "dashboard": {port["dashboard_port"]},
        "rag": {port["rag_port"], port["rag_metrics_port"]},
        "llm": {port["llm_port"], port["llm_metrics_port"]},
    }
