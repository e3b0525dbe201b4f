"""The staff dashboard: a multi-page Dash app over the store, behind the login (auth.py).

One module per page under `pages/` (Dash pages); the navbar, the filter bar and the auto-refresh
are shared by all of them. Every read is a function of `collegebot.store.staff_queries`.
"""

from __future__ import annotations

from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, html
from flask import Flask, Response
from prometheus_flask_exporter import PrometheusMetrics

from collegebot.grpc_client import sync_channel
from collegebot.privacy import NumberCipher
from collegebot.settings import (
    DashboardSettings,
    Env,
    GapSettings,
    HandoffSettings,
    InstitutionSettings,
    NumberEncryptionSettings,
    ServiceAddresses,
    StoreSettings,
    TwilioSettings,
    load,
)
from collegebot.store import sync_engine
from collegebot.v1 import rag_pb2_grpc
from services.dashboard import context, export, filters, gap_answers, handoff
from services.dashboard.accounts import Accounts, refuse_disabled_sessions
from services.dashboard.auth import install_login

SESSION_LIFETIME = timedelta(hours=12)  # a working day: a copied cookie is not good for ever
PAGES = Path(__file__).parent / "pages"
# Bootstrap 5's stylesheet as Bootstrap-Flask ships it, served by the dashboard itself.
BOOTSTRAP_CSS = "/vendor/bootstrap.min.css"
# Found without importing the package (its __init__ needs WTForms, which the dashboard does not).
_spec = find_spec("flask_bootstrap")
assert _spec is not None and _spec.origin is not None, "Bootstrap-Flask is not installed"
BOOTSTRAP_FILE = Path(_spec.origin).parent / "static/bootstrap5/css/bootstrap.min.css"

# The navbar, in the order staff work through it: (label, path).
NAV = (
    ("Overview", "/"),
    ("Conversations", "/conversations"),
    ("Topics & sentiment", "/topics"),
    ("Escalations", "/escalations"),
    ("Knowledge gaps", "/gaps"),
    ("Knowledge base", "/knowledge-base"),
    ("System", "/system"),
)


def navbar() -> dbc.NavbarSimple:
    """Folds into a menu button on a phone (dbc's own toggler)."""
    links = [dbc.NavItem(dbc.NavLink(label, href=path, active="exact")) for label, path in NAV]
    links.append(dbc.NavItem(dbc.NavLink("Sign out", href="/logout", external_link=True)))
    return dbc.NavbarSimple(
        links,
        brand="Student services",
        brand_href="/",
        color="primary",
        dark=True,
        fluid=True,
        expand="xl",  # below 1200 px wide: the menu button
        id="navbar",
    )


def shell(dashboard: context.Dashboard) -> html.Div:
    """The frame around every page."""
    return html.Div(
        [
            navbar(),
            dbc.Container(
                [filters.bar(dashboard.college, dashboard.timezone), dash.page_container],
                fluid=True,
                className="pb-4",
            ),
        ]
    )


def create_app() -> Dash:
    settings, institution = load(DashboardSettings), load(InstitutionSettings)
    store, addresses = load(StoreSettings), load(ServiceAddresses)
    dashboard = context.Dashboard(
        engine=sync_engine(store.url, store.database_statement_cache),
        timezone=settings.timezone,
        college=institution.college_name,
        rag_address=addresses.rag_address,
        llm_address=addresses.llm_address,
    )
    server = Flask(__name__)
    # prometheus-flask-exporter's names: flask_http_request_total{method,status} and
    # flask_http_request_duration_seconds{method,url_rule,status} (the route template), on
    # /metrics; every request but the scrapes.
    PrometheusMetrics(server, group_by="url_rule", excluded_paths="^/metrics$")
    assert settings.dashboard_secret_key is not None and settings.dashboard_password is not None
    server.secret_key = settings.dashboard_secret_key.get_secret_value()
    # The session cookie is SameSite=Lax: the browser leaves it off POSTs another site makes, so
    # a forged cross-site callback arrives signed out and is refused (the CSRF defence here: it
    # must never become SameSite=None).
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Staff reach it over TLS in production; `make up` serves it on plain http://localhost.
        SESSION_COOKIE_SECURE=settings.collegebot_env is Env.production,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    context.attach(server, dashboard)
    accounts = Accounts(
        dashboard.engine,
        settings.dashboard_username,
        settings.dashboard_password.get_secret_value(),
    )
    install_login(server, accounts.check, institution.college_name)
    refuse_disabled_sessions(server, accounts)
    handoff.attach(
        server,
        handoff.HandoffDesk(
            dashboard.engine,
            NumberCipher.from_settings(load(NumberEncryptionSettings)),
            load(TwilioSettings),
            load(HandoffSettings),
        ),
    )
    rag = rag_pb2_grpc.RagStub(sync_channel(addresses.rag_address))
    gap_answers.attach(
        server,
        gap_answers.GapDesk(dashboard.engine, rag, load(GapSettings)),
    )
    export.install(server)

    @server.route(BOOTSTRAP_CSS)
    def bootstrap_css() -> Response:
        return Response(
            BOOTSTRAP_FILE.read_bytes(),
            mimetype="text/css",
            headers={"Cache-Control": "max-age=86400"},
        )

    app = Dash(
        __name__,
        server=server,  # type: ignore[arg-type]
        title="collegebot dashboard",
        use_pages=True,
        pages_folder=str(PAGES),
        external_stylesheets=[BOOTSTRAP_CSS],
        suppress_callback_exceptions=True,  # each page's components exist only on that page
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    # A function, so every page load reads the date range afresh.
    app.layout = lambda: shell(dashboard)

    @app.callback(Output("refresh", "disabled"), Input("refresh-on", "value"))
    def pause_refresh(on: bool) -> bool:
        return not on

    return app
