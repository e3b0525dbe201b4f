"""Logging, Prometheus metrics and Sentry, set up the same way in every service.

Privacy rule: no student number, message text or secret is ever logged or sent. Log events carry
identifiers we choose (MessageSid, stage names, counts), and Sentry events are scrubbed before
they leave the process.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import sentry_sdk
from prometheus_client import start_http_server

from collegebot.settings import RuntimeSettings, SentrySettings

# Request fields that may carry a student's words or number, or a credential.
_PRIVATE_KEYS = {
    "body",
    "from",
    "to",
    "waid",
    "profilename",
    "question",
    "answer",
    "text",
    "authorization",
    "cookie",
    "x-twilio-signature",
    "data",
    "query_string",
}


def setup_logging(service: str, runtime: RuntimeSettings) -> None:
    logging.basicConfig(
        level=runtime.log_level.upper(),
        stream=sys.stderr,
        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s",
    )


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "[scrubbed]" if str(k).lower() in _PRIVATE_KEYS else _scrub(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def scrub_event(event: Any, _hint: Any = None) -> Any:
    """Sentry `before_send` and `before_send_transaction`: drop request bodies, user data, local
    variables and exception messages (an exception's message can hold whatever the code was
    handling, a student's number or words; its type and stack say where it failed)."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        if "headers" in request:
            request["headers"] = _scrub(request["headers"])
    for exc in (event.get("exception") or {}).get("values", []):
        if exc.get("value"):
            exc["value"] = "[scrubbed]"
        for frame in (exc.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    if "extra" in event:
        event["extra"] = _scrub(event["extra"])
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        crumb.pop("data", None)
    return event


def setup_sentry(service: str, sentry: SentrySettings) -> bool:
    """Start Sentry when a DSN is configured; returns whether it did."""
    if sentry.sentry_dsn is None:
        return False
    sentry_sdk.init(
        dsn=sentry.sentry_dsn.get_secret_value(),
        environment=sentry.sentry_environment or sentry.collegebot_env.value,
        traces_sample_rate=sentry.sentry_traces_sample_rate,
        # No send_default_pii: off by default, and deprecated since 2.75 even when False.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        server_name=service,
    )
    sentry_sdk.set_tag("service", service)
    return True


def start_metrics_server(port: int, host: str = "0.0.0.0") -> None:
    """Serve /metrics for a gRPC service (the HTTP services mount it on their own app)."""
    start_http_server(port, addr=host)
