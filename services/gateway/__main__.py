"""Entry point of the gateway container: `python -m services.gateway`."""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from collegebot.settings import RuntimeSettings, SentrySettings, ServiceAddresses, load
from collegebot.telemetry import setup_logging, setup_sentry

# services.gateway.app is imported only once the metrics folder is ready: its metrics are made
# at import, and in multiprocess mode each one opens a file there.
MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"


def worker_app() -> FastAPI:
    """One worker process's app: its own logging and Sentry (workers are spawned afresh)."""
    setup_logging("gateway", load(RuntimeSettings))
    setup_sentry("gateway", load(SentrySettings))
    from services.gateway.app import create_app

    return create_app()


def metrics_dir() -> None:
    """Several workers write their metrics to files in one folder that /metrics adds up. It
    must be empty at start (a restart would otherwise count the old workers' samples again), and
    the variable set before any worker imports prometheus_client."""
    folder = Path(os.environ.get(MULTIPROC) or tempfile.mkdtemp(prefix="collegebot-metrics-"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC] = str(folder)


def main() -> None:
    addresses = load(ServiceAddresses)
    if addresses.gateway_workers > 1 or os.environ.get(MULTIPROC):
        metrics_dir()
    from services.gateway.app import REQUESTS_FINISH_S

    # access_log off: request lines carry nothing useful and we keep logs free of student data.
    options: dict[str, Any] = {
        "host": addresses.bind_host,
        "port": addresses.gateway_port,
        "access_log": False,
        "log_config": None,
        "timeout_graceful_shutdown": REQUESTS_FINISH_S,
    }
    if addresses.gateway_workers > 1:
        setup_logging("gateway", load(RuntimeSettings))  # the supervisor's own lines
        uvicorn.run(
            "services.gateway.__main__:worker_app",
            factory=True,
            workers=addresses.gateway_workers,
            **options,
        )
        return
    uvicorn.run(worker_app(), **options)


if __name__ == "__main__":
    main()
