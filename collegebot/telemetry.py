"""Logging, Prometheus metrics and Sentry, set up the same way in every service.

Privacy rule: no student number, message text or secret is ever logged or sent. Log events carry
identifiers we choose (MessageSid, stage names, counts), and Sentry events are scrubbed before
they leave the process.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from importlib.metadata import version
from typing import Any

import sentry_sdk
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server
from pythonjsonlogger.json import JsonFormatter

from collegebot import correlation
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


class CorrelationFilter(logging.Filter):
    """Writes the MessageSid being handled (collegebot.correlation) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.message_sid = correlation.current()
        return True


def log_handler(service: str, log_format: str, stream: Any = None) -> logging.Handler:
    """A handler writing `service`'s lines: JSON objects (time, level, service, logger, event,
    message_sid and any `extra` fields) or, for a terminal, readable text."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(CorrelationFilter())
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}{message_sid}",
                style="{",
                rename_fields={
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                    "message": "event",
                },
                static_fields={"service": service},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter(
                f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s [%(message_sid)s]"
            )
        )
    return handler


def setup_logging(service: str, runtime: RuntimeSettings) -> None:
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(log_handler(service, runtime.log_format))
    root.setLevel(runtime.log_level.upper())


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


# Sentry's integrations for what each service runs on, where that framework is installed (each
# image installs only its own extra): gRPC for all (servers, and the clients that carry a trace
# from the webhook into rag and llm), FastAPI for the gateway, Flask for the dashboard.
_INTEGRATIONS = {
    "sentry_sdk.integrations.grpc": ["GRPCIntegration"],
    "sentry_sdk.integrations.fastapi": ["FastApiIntegration"],
    "sentry_sdk.integrations.starlette": ["StarletteIntegration"],
    "sentry_sdk.integrations.flask": ["FlaskIntegration"],
}


def _integrations() -> list[Any]:
    found: list[Any] = []
    for module, names in _INTEGRATIONS.items():
        try:
            loaded = importlib.import_module(module)
        except Exception:  # DidNotEnable: that framework is not in this image
            continue
        found.extend(getattr(loaded, name)() for name in names)
    return found


def release(sentry: SentrySettings) -> str:
    return sentry.sentry_release or f"collegebot@{version('collegebot')}"


def setup_sentry(service: str, sentry: SentrySettings) -> bool:
    """Start Sentry when a DSN is configured; returns whether it did."""
    if sentry.sentry_dsn is None:
        return False
    sentry_sdk.init(
        dsn=sentry.sentry_dsn.get_secret_value(),
        release=release(sentry),
        environment=sentry.sentry_environment or sentry.collegebot_env.value,
        traces_sample_rate=sentry.sentry_traces_sample_rate,
        integrations=_integrations(),
        # No send_default_pii: off by default, and deprecated since 2.75 even when False.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        server_name=service,
    )
    sentry_sdk.set_tag("service", service)
    return True


def metrics_registry() -> CollectorRegistry:
    """What /metrics serves: this process's metrics or, when the gateway runs several worker
    processes (PROMETHEUS_MULTIPROC_DIR set), every worker's, added up by prometheus-client."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def start_metrics_server(port: int, host: str = "0.0.0.0") -> None:
    """Serve /metrics for a gRPC service (the HTTP services mount it on their own app)."""
    start_http_server(port, addr=host)
