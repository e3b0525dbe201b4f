"""The staff dashboard: what students ask, read from the store."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, ctx, dcc, html
from flask import Flask, session
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from collegebot.settings import DashboardSettings, Env, InstitutionSettings, StoreSettings, load
from collegebot.store import escalations, sync_engine
from collegebot.store.models import Conversation, Escalation, KnowledgeBaseDocument
from collegebot.store.staff_queries import handle_case
from services.dashboard.accounts import Accounts, refuse_disabled_sessions
from services.dashboard.auth import install_login

SESSION_LIFETIME = timedelta(hours=12)  # a working day: a copied cookie is not good for ever


def overview(engine: Engine, now: datetime | None = None) -> dict:
    """The figures the front page shows."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=14)
    with Session(engine) as s:
        last_day = s.scalar(
            select(func.count()).where(Conversation.created_at >= now - timedelta(days=1))
        )
        total = s.scalar(select(func.count()).select_from(Conversation))
        recent = s.scalars(select(Conversation.created_at).where(Conversation.created_at >= since))
        per_day = Counter(created.date().isoformat() for created in recent)
        docs = dict(
            s.execute(
                select(KnowledgeBaseDocument.status, func.count()).group_by(
                    KnowledgeBaseDocument.status
                )
            ).all()
        )
    return {"last_24h": last_day or 0, "total": total or 0, "per_day": per_day, "documents": docs}


def layout(engine: Engine, college: str):
    figures = overview(engine)
    days = sorted(figures["per_day"])
    chart = go.Figure(go.Bar(x=days, y=[figures["per_day"][d] for d in days]))
    chart.update_layout(
        title="Conversations per day (last 14 days)",
        height=320,
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
    )
    docs = figures["documents"]
    return html.Main(
        [
            html.H1(f"{college}: student questions"),
            html.A("Sign out", href="/logout"),
            html.Section(
                [
                    html.P(
                        [
                            "Conversations in the last 24 hours: ",
                            html.Strong(str(figures["last_24h"]), id="conversations-24h"),
                        ]
                    ),
                    html.P(
                        [
                            "All recorded conversations: ",
                            html.Strong(str(figures["total"]), id="conversations-total"),
                        ]
                    ),
                    html.P(
                        f"Knowledge base: {docs.get('indexed', 0)} documents indexed, "
                        f"{docs.get('failed', 0)} failed."
                    ),
                ]
            ),
            dcc.Graph(figure=chart, id="per-day"),
            escalation_table(engine),
        ]
    )


CLOSE = "close-escalation"  # the pattern-matching id type of each row's "Mark handled" button


def escalation_table(engine: Engine) -> html.Section:
    """The open escalations, in the section the "Mark handled" callback redraws."""
    return html.Section(escalation_list(engine), id="open-escalations")


def escalation_list(engine: Engine) -> list:
    """Students waiting for a person: asked for one, or flagged urgent. Newest first."""
    with Session(engine) as s:
        waiting = s.scalar(
            select(func.count()).select_from(Escalation).where(Escalation.status == "open")
        )
    rows = [
        html.Tr(
            [
                html.Td(e.created_at.strftime("%Y-%m-%d %H:%M")),
                html.Td(e.sender_masked),
                html.Td(e.reason),
                html.Td(html.Button("Mark handled", id={"type": CLOSE, "index": e.id})),
            ]
        )
        for e in escalations(engine)
    ]
    header = html.Tr([html.Th("when (UTC)"), html.Th("student"), html.Th("reason"), html.Th()])
    return [
        html.H2(f"Open escalations: {waiting}", id="escalations-count"),
        html.Table([html.Thead(header), html.Tbody(rows)], id="escalations")
        if rows
        else html.P("Nobody is waiting for a person."),
    ]


def install_closing(app: Dash, engine: Engine) -> None:
    """A click on "Mark handled" closes that escalation and lists the students still waiting.

    Dash sends the click as a POST to /_dash-update-component, which the login (auth.py) refuses
    without a signed-in session. That session cookie is SameSite=Lax, so the browser leaves it off
    POSTs another site makes: a forged cross-site request arrives signed out and is refused. That
    is the CSRF defence here, so the cookie must never become SameSite=None."""

    @app.callback(
        Output("open-escalations", "children"),
        Input({"type": CLOSE, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def close_clicked(_clicks: list[int | None]) -> list:
        # New buttons rendered by this callback also "change" (to no clicks): only a click counts.
        clicked = ctx.triggered_id if ctx.triggered and ctx.triggered[0]["value"] else None
        if isinstance(clicked, dict) and isinstance(clicked.get("index"), int):
            handle_case(engine, clicked["index"], session.get("name", ""))
        return escalation_list(engine)


def create_app() -> Dash:
    settings, institution = load(DashboardSettings), load(InstitutionSettings)
    store = load(StoreSettings)
    engine = sync_engine(store.url, store.database_statement_cache)
    server = Flask(__name__)
    # prometheus-flask-exporter's names: flask_http_request_total{method,status} and
    # flask_http_request_duration_seconds{method,url_rule,status} (the route template), on
    # /metrics; every request but the scrapes.
    PrometheusMetrics(server, group_by="url_rule", excluded_paths="^/metrics$")
    assert settings.dashboard_secret_key is not None and settings.dashboard_password is not None
    server.secret_key = settings.dashboard_secret_key.get_secret_value()
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Staff reach it over TLS in production; `make up` serves it on plain http://localhost.
        SESSION_COOKIE_SECURE=settings.collegebot_env is Env.production,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    accounts = Accounts(
        engine, settings.dashboard_username, settings.dashboard_password.get_secret_value()
    )
    install_login(server, accounts.check, institution.college_name)
    refuse_disabled_sessions(server, accounts)
    app = Dash(__name__, server=server, title="collegebot dashboard")  # type: ignore[arg-type]
    # A function, so every page load reads the store afresh.
    app.layout = lambda: layout(engine, institution.college_name)
    install_closing(app, engine)
    return app
