"""Write deploy/prometheus/alerts.yml (plain Prometheus rule groups, for docker compose) from the
PrometheusRule in k8s/components/monitoring/rules.yaml: one set of alerts, two ways to load it."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "k8s/components/monitoring/rules.yaml"
TARGET = ROOT / "deploy/prometheus/alerts.yml"
HEADER = """\
# The alert rules of k8s/components/monitoring/rules.yaml (its spec), for a plain Prometheus such
# as docker compose's. Do not edit here: change rules.yaml, then `make alerts` writes this file
# (tests/deploy checks the two are equal). Runbook: docs/operations.md, "Alerts and runbook".
"""


def main() -> None:
    spec = yaml.safe_load(SOURCE.read_text())["spec"]
    TARGET.write_text(HEADER + yaml.safe_dump(spec, sort_keys=False, width=200))


if __name__ == "__main__":
    main()
