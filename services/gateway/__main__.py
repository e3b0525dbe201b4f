"""Entry point of the gateway container: `python -m services.gateway`."""

import uvicorn

from collegebot.settings import RuntimeSettings, SentrySettings, ServiceAddresses, load
from collegebot.telemetry import setup_logging, setup_sentry
from services.gateway.app import REQUESTS_FINISH_S, create_app


def main() -> None:
    runtime, addresses = load(RuntimeSettings), load(ServiceAddresses)
    setup_logging("gateway", runtime)
    setup_sentry("gateway", load(SentrySettings))
    app = create_app()
    # access_log off: request lines carry nothing useful and we keep logs free of student data.
    uvicorn.run(
        app,
        host=addresses.bind_host,
        port=addresses.gateway_port,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=REQUESTS_FINISH_S,
    )


if __name__ == "__main__":
    main()
