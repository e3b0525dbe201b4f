"""Entry point of the dashboard container: `python -m services.dashboard`."""

import logging

from collegebot.settings import RuntimeSettings, SentrySettings, ServiceAddresses, load
from collegebot.telemetry import setup_logging, setup_sentry
from services.dashboard.app import create_app


def main() -> None:
    runtime, addresses = load(RuntimeSettings), load(ServiceAddresses)
    setup_logging("dashboard", runtime)
    setup_sentry("dashboard", load(SentrySettings))
    app = create_app()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request lines
    # Flask's own server is enough for a handful of staff; containers may front it with gunicorn.
    app.run(host=addresses.bind_host, port=addresses.dashboard_port, debug=False)


if __name__ == "__main__":
    main()
