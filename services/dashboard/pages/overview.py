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
    *(Output(value_id, "children") for _, value_id, _ in SHARES),
    *(Output(f"{value_id}-n", "children") for _, value_id, _ in SHARES),
    *filters.FILTERS,
)
def numbers(start, end, intent, _tick) -> tuple:
    board = context.current()
    counts = q.overview_counts(board.engine, filters.window(start, end, intent, board.timezone))
    turns = counts["turns"]
    return (
        f"{turns:,}",
        html.A(f"{counts['open_escalations']:,} open escalations", href="/escalations"),
        f"{counts['students']:,}",
        *(percent(counts[key], turns) for _, _, key in SHARES),
        *(f"{counts[key]:,} messages" for _, _, key in SHARES),
    )


@callback(Output("ov-p50", "children"), Output("ov-p95", "children"), *filters.FILTERS)
def reply_times(start, end, intent, _tick) -> tuple:
    board = context.current()
    times = q.reply_times(board.engine, filters.window(start, end, intent, board.timezone))
    return _seconds(times["p50_ms"]), _seconds(times["p95_ms"])


# Each figure has a callback of its own: they are fetched side by side, and each is drawn as
# soon as its own reads are done.
@callback(Output("ov-per-hour", "figure"), Output("ov-per-day", "figure"), *filters.FILTERS)
def volumes(start, end, intent, _tick) -> tuple:
    board = context.current()
    window = filters.window(start, end, intent, board.timezone)
    hours, days = q.messages_per_hour_and_day(board.engine, window, board.timezone)
    return (
        volume(hours, ui.HOUR, f"Messages per hour ({board.timezone.key})"),
        volume(days, ui.DAY, f"Messages per day ({board.timezone.key})"),
    )


@callback(Output("ov-generators", "figure"), *filters.FILTERS)
def generators_answered(start, end, intent, _tick) -> go.Figure:
    board = context.current()
    return generators(board, filters.window(start, end, intent, board.timezone))


def volume(rows: list[tuple], bucket_s: int, title: str) -> go.Figure:
    if not any(n for _, n in rows):
        return ui.empty(title)
    x, y = zip(*rows, strict=True)
    if bucket_s >= ui.DAY:
        figure = go.Figure(go.Bar(x=x, y=y, name="messages", marker_color="#0d6efd"))
    else:
        figure = go.Figure(
            go.Scatter(x=x, y=y, mode="lines", name="messages", line={"color": "#0d6efd"})
        )
    ui.styled(figure, title)
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
