"""Overview: how many students asked, how fast and how well the bot answered."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Output, callback, html

from collegebot.store import staff_queries as q
from services.dashboard import components as ui
from services.dashboard import context, filters

dash.register_page(__name__, path="/", name="Overview", title="Overview", order=0)

# (card title, id, the overview_counts key whose share of the turns it shows)
SHARES = (
    ("Answered", "ov-answered", "answered"),
    ("Abstained (“I don't know”)", "ov-abstained", "abstained"),
    ("Degraded (a service down)", "ov-degraded", "degraded"),
    ("Emergencies", "ov-emergencies", "emergencies"),
    ("Errors (no answer)", "ov-errors", "errors"),
    ("Marked unhelpful (👎)", "ov-unhelpful", "unhelpful"),
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("Overview", className="h4"),
            dbc.Row(
                [
                    ui.card("Messages", "ov-turns", "ov-escalations"),
                    ui.card("Unique students", "ov-students"),
                    ui.card("Median reply time", "ov-p50"),
                    ui.card("95th percentile reply", "ov-p95"),
                ],
                className="g-3 mb-3",
            ),
            dbc.Row(
                [ui.card(title, value_id, f"{value_id}-n") for title, value_id, _ in SHARES],
                className="g-3 mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(ui.graph("ov-per-hour"), lg=6),
                    dbc.Col(ui.graph("ov-per-day"), lg=6),
                ],
                className="g-3",
            ),
            dbc.Row([dbc.Col(ui.graph("ov-generators"), lg=6)], className="g-3"),
        ]
    )


def percent(part: int, whole: int) -> str:
    """A share as staff read it: whole percents, but a few emergencies are never "0%"."""
    if not whole:
        return "–"
    share = part / whole
    return f"{share:.1%}" if 0 < share < 0.01 else f"{share:.0%}"


def _seconds(ms: float | None) -> str:
    return "–" if ms is None else f"{ms / 1000:.1f} s"


@callback(
    Output("ov-turns", "children"),
    Output("ov-escalations", "children"),
    Output("ov-students", "children"),
    Output("ov-p50", "children"),
    Output("ov-p95", "children"),
    *(Output(value_id, "children") for _, value_id, _ in SHARES),
    *(Output(f"{value_id}-n", "children") for _, value_id, _ in SHARES),
    Output("ov-per-hour", "figure"),
    Output("ov-per-day", "figure"),
    Output("ov-generators", "figure"),
    *filters.FILTERS,
)
def refresh(start, end, intent, _tick) -> tuple:
    board = context.current()
    window = filters.window(start, end, intent, board.timezone)
    counts = q.overview_counts(board.engine, window)
    times = q.reply_times(board.engine, window)
    turns = counts["turns"]
    shares = [percent(counts[key], turns) for _, _, key in SHARES]
    notes = [f"{counts[key]:,} messages" for _, _, key in SHARES]
    return (
        f"{turns:,}",
        html.A(f"{counts['open_escalations']:,} open escalations", href="/escalations"),
        f"{counts['students']:,}",
        _seconds(times["p50_ms"]),
        _seconds(times["p95_ms"]),
        *shares,
        *notes,
        volume(board, window, ui.HOUR, "Messages per hour"),
        volume(board, window, ui.DAY, "Messages per day"),
        generators(board, window),
    )


def volume(board: context.Dashboard, window: q.Window, bucket_s: int, title: str) -> go.Figure:
    rows = q.messages_per(board.engine, window, board.timezone, bucket_s)
    if not rows:
        return ui.empty(title)
    x, y = zip(*rows, strict=True)
    if bucket_s >= ui.DAY:
        figure = go.Figure(go.Bar(x=x, y=y, name="messages", marker_color="#0d6efd"))
    else:
        figure = go.Figure(
            go.Scatter(x=x, y=y, mode="lines", name="messages", line={"color": "#0d6efd"})
        )
    ui.styled(figure, f"{title} ({board.timezone.key})")
    figure.update_yaxes(title="messages", rangemode="tozero")
    return ui.time_axis(figure, x[0], x[-1], bucket_s)


def generators(board: context.Dashboard, window: q.Window) -> go.Figure:
    rows = q.generators(board.engine, window)
    title = "Which generator answered"
    if not rows:
        return ui.empty(title)
    names, counts = zip(*rows, strict=True)
    figure = go.Figure(go.Bar(x=counts, y=names, orientation="h", marker_color="#6f42c1"))
    ui.styled(figure, title)
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title="messages")
    return figure
