"""Topics and sentiment: what students ask about, how that moves, and who is unhappy."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Output, callback, html

from collegebot.store import staff_queries as q
from services.dashboard import components as ui
from services.dashboard import context, filters

dash.register_page(
    __name__, path="/topics", name="Topics & sentiment", title="Topics & sentiment", order=2
)

SENTIMENT_COLOURS = {"negative": "#dc3545", "neutral": "#adb5bd", "positive": "#198754"}
TOP_TOPICS = 8  # the trend draws these; the rest are summed as "other topics"
NEGATIVE = [
    {"field": "when", "headerName": "When", "minWidth": 150},
    {"field": "student", "headerName": "Student", "minWidth": 130},
    {"field": "question", "headerName": "Message", "flex": 4, **ui.WRAP},
    {"field": "intent", "headerName": "Intent", "minWidth": 110},
    {"field": "score", "headerName": "Score", "filter": "agNumberColumnFilter", "minWidth": 90},
    {"field": "status", "headerName": "Status", "minWidth": 100},
]


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("Topics and sentiment", className="h4"),
            dbc.Row(
                [
                    dbc.Col(ui.graph("tp-intents"), lg=5),
                    dbc.Col(ui.graph("tp-trend"), lg=7),
                ],
                className="g-3",
            ),
            dbc.Row(dbc.Col(ui.graph("tp-sentiment")), className="g-3"),
            ui.table("Most negative messages", "tp-negative", NEGATIVE, "tp-export", "420px"),
        ]
    )


# A callback per figure: fetched side by side, each drawn when its own reads are done.
@callback(Output("tp-intents", "figure"), Output("tp-trend", "figure"), *filters.FILTERS)
def topics(start, end, intent, _tick) -> tuple:
    board = context.current()
    window = filters.window(start, end, intent, board.timezone)
    counts = q.intents_per_day(board.engine, window, board.timezone)  # one pass for both
    return distribution(counts), trend(board, window, counts)


@callback(Output("tp-sentiment", "figure"), *filters.FILTERS)
def sentiments(start, end, intent, _tick) -> go.Figure:
    board = context.current()
    return sentiment(board, filters.window(start, end, intent, board.timezone))


@callback(Output("tp-negative", "rowData"), Output("tp-export", "href"), *filters.FILTERS)
def negative(start, end, intent, _tick) -> tuple:
    board = context.current()
    window = filters.window(start, end, intent, board.timezone)
    turns = q.most_negative(board.engine, window)
    rows = [
        {**row, "score": round(turn["sentiment_score"], 2)}
        for row, turn in zip(ui.turn_rows(turns, board.timezone), turns, strict=True)
    ]
    return rows, ui.export_href("negative", window)


def distribution(counts: list[tuple]) -> go.Figure:
    title = "What students ask about"
    if not counts:
        return ui.empty(title, 380)
    totals: dict[str, int] = {}
    for _, name, n in counts:
        totals[name] = totals.get(name, 0) + n
    names = sorted(totals, key=lambda name: (-totals[name], name))
    figure = go.Figure(
        go.Bar(x=[totals[n] for n in names], y=names, orientation="h", marker_color="#0d6efd")
    )
    ui.styled(figure, title, 380)
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title="messages")
    return figure


def trend(board: context.Dashboard, window: q.Window, counts: list[tuple]) -> go.Figure:
    title = "Topics per day"
    if not counts:
        return ui.empty(title, 380)
    days = q.local_buckets(window, board.timezone, ui.DAY)
    totals: dict[str, int] = {}
    for _, name, n in counts:
        totals[name] = totals.get(name, 0) + n
    top = sorted(totals, key=totals.__getitem__, reverse=True)[:TOP_TOPICS]
    series: dict[str, dict] = {name: {} for name in [*top, "other topics"]}
    for day, name, n in counts:
        key = name if name in top else "other topics"
        series[key][day] = series[key].get(day, 0) + n
    figure = go.Figure(
        [
            go.Scatter(x=days, y=[per.get(d, 0) for d in days], name=name, mode="lines",
                       stackgroup="topics")
            for name, per in series.items()
            if per
        ]
    )  # fmt: skip
    ui.styled(figure, f"{title} ({board.timezone.key})", 380)
    figure.update_yaxes(title="messages", rangemode="tozero")
    return ui.time_axis(figure, days[0], days[-1], ui.DAY)


def sentiment(board: context.Dashboard, window: q.Window) -> go.Figure:
    counts = q.sentiment_per_day(board.engine, window, board.timezone)
    title = "Sentiment per day (share of messages)"
    if not counts:
        return ui.empty(title)
    days = q.local_buckets(window, board.timezone, ui.DAY)
    per_day: dict = {}
    for day, label, n in counts:
        per_day.setdefault(day, {})[label] = n
    figure = go.Figure()
    totals = {d: sum(per_day.get(d, {}).values()) for d in days}
    for label, colour in SENTIMENT_COLOURS.items():
        shares = [per_day[d].get(label, 0) / totals[d] if totals[d] else None for d in days]
        figure.add_bar(x=days, y=shares, name=label, marker_color=colour)
    ui.styled(figure, f"{title} ({board.timezone.key})")
    figure.update_layout(barmode="stack")
    figure.update_yaxes(tickformat=".0%", range=[0, 1])
    return ui.time_axis(figure, days[0], days[-1], ui.DAY)
