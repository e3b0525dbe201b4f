"""What every page and callback of one dashboard needs: the store, the time zone, the services.

Kept on the Flask app (`server.extensions`), so two dashboards in one process (the tests) never
share it, and read back inside each request with `current()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import Engine

KEY = "collegebot"


@dataclass(frozen=True)
class Dashboard:
    engine: Engine
    timezone: ZoneInfo
    college: str
    rag_address: str
    llm_address: str


def attach(server: Flask, dashboard: Dashboard) -> None:
    server.extensions[KEY] = dashboard


def current() -> Dashboard:
    """The dashboard serving this request."""
    return current_app.extensions[KEY]
