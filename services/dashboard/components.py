"""Pieces the pages share: figures whose time axis reads right at any span, tables, cards."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from collegebot.store.staff_queries import Window

HOUR, DAY = 3_600, 86_400
# A column of free text: wrapped, each row as tall as its text (line height set, or AG Grid
# measures a wrapped line as a whole row and cuts the text off).
WRAP = {
    "wrapText": True,
    "autoHeight": True,
    "cellStyle": {"lineHeight": "1.35", "paddingTop": "6px", "paddingBottom": "6px"},
}
HOUR_MS, DAY_MS = HOUR * 1000, DAY * 1000  # plotly's dtick on a date axis is in milliseconds
# A grid whose row opens something (a thread, a case, a gap) when clicked.
CLICK_TO_OPEN = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
TIME_FORMAT = "%Y-%m-%d %H:%M"


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    """A stored (UTC) time as the college reads it."""
    return moment.astimezone(tz).strftime(TIME_FORMAT) if moment else ""


# Tick labels by the distance between ticks, so that plotly may choose how many fit the width
# (a phone fits fewer) and never labels a date axis in fractions of a second.
TICK_FORMATS = [
    {"dtickrange": [None, DAY_MS], "value": "%H:%M<br>%a %d %b"},
    {"dtickrange": [DAY_MS, 7 * DAY_MS], "value": "%a<br>%d %b"},
    {"dtickrange": [7 * DAY_MS, "M1"], "value": "%d %b"},
    {"dtickrange": ["M1", None], "value": "%b %Y"},
]


def time_axis(figure: go.Figure, first: datetime, last: datetime, bucket_s: int) -> go.Figure:
    """An x axis that reads right at any span: one day of hours or ninety days of dates. Left
    to itself plotly labels one day of daily bars in milliseconds; here a short span gets a
    fixed tick (every 3 hours for a day of hours, every day for a few days of days) and a longer
    one lets plotly choose the ticks, labelled by TICK_FORMATS."""
    span = (last - first).total_seconds() + bucket_s
    dtick: int | None = None
    if bucket_s < DAY and span <= 1.5 * DAY:
        dtick = 3 * HOUR_MS
    elif bucket_s >= DAY and span <= 4 * DAY:
        dtick = DAY_MS
    half = timedelta(seconds=bucket_s / 2)
    figure.update_xaxes(
        type="date",
        dtick=dtick,
        tickformatstops=TICK_FORMATS,
        hoverformat="%a %d %b %Y, %H:%M" if bucket_s < DAY else "%a %d %b %Y",
        range=[first - half, last + half] if bucket_s >= DAY else [first, last + 2 * half],
    )
    return figure


def styled(figure: go.Figure, title: str, height: int = 320) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 16}},
        height=height,
        margin={"l": 50, "r": 20, "t": 50, "b": 50},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
        hovermode="x unified",
    )
    return figure


def empty(title: str, height: int = 320) -> go.Figure:
    """A figure that says there is nothing in the window instead of drawing blank axes."""
    figure = go.Figure()
    figure.add_annotation(
        text="No messages in this range", showarrow=False, font={"size": 14, "color": "#6c757d"}
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return styled(figure, title, height)


def graph(graph_id: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config={"displaylogo": False, "responsive": True})


def card(title: str, value_id: str, note_id: str | None = None) -> dbc.Col:
    body = [
        html.Div(title, className="text-muted small"),
        html.H3("–", id=value_id, className="mb-0"),
    ]
    if note_id:
        body.append(html.Div(id=note_id, className="small text-muted"))
    return dbc.Col(dbc.Card(dbc.CardBody(body), className="h-100 shadow-sm"), xs=6, md=4, xl=2)


def grid(grid_id: str, columns: list[dict], height: str = "480px", **options: Any) -> dag.AgGrid:
    """A sortable, filterable, resizable table (the rows come from a callback)."""
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=[],
        # Widths by flex (text columns take more), so a narrow screen scrolls sideways.
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "minWidth": 90,
            "flex": 1,
        },  # fmt: skip
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 20,
            "paginationPageSizeSelector": [20, 50, 100],
            "enableCellTextSelection": True,
            "tooltipShowDelay": 300,
            **options,
        },
        style={"height": height, "width": "100%"},
    )


def export_link(link_id: str) -> html.A:
    return html.A(
        "Download CSV", id=link_id, href="#", className="btn btn-outline-secondary btn-sm"
    )


def export_href(table: str, window: Window | None = None, **extra: str) -> str:
    """The export route of one table, with the filters the page shows."""
    query: dict[str, str] = {}
    if window is not None:
        query["start"] = window.start.isoformat()
        query["end"] = window.end.isoformat()
        if window.intent:
            query["intent"] = window.intent
    query.update({k: v for k, v in extra.items() if v})
    return f"/export/{table}.csv" + (f"?{urlencode(query)}" if query else "")


def table(title: str, grid_id: str, columns: list[dict], export_id: str, height: str) -> dbc.Card:
    """A titled table with its CSV download."""
    return section(title, grid(grid_id, columns, height), action=export_link(export_id))


def section(title: str, *children: Any, action: Any = None) -> dbc.Card:
    header = dbc.CardHeader(
        dbc.Row(
            [dbc.Col(html.H2(title, className="h6 mb-0")), dbc.Col(action, width="auto")],
            className="align-items-center",
        )
    )
    return dbc.Card([header, dbc.CardBody(list(children))], className="mb-3 shadow-sm")


def turn_rows(turns: list[dict], tz: ZoneInfo) -> list[dict]:
    """Turns as the grid shows them: local times, seconds, never the sender's hash."""
    return [
        {
            "id": t["id"],
            "when": local(t["created_at"], tz),
            "student": t["sender_masked"],
            "question": t["question"],
            "answer": t["answer"],
            "sources": t["sources"],
            "intent": t["intent"],
            "sentiment": t["sentiment"],
            "urgency": t["urgency"],
            "confidence": round(t["confidence"], 2),
            "generator": t["generator"],
            "status": "abstained" if t["abstained"] else t["status"],
            "total_s": round(t["total_ms"] / 1000, 2),
            "retrieve_ms": None if t["retrieve_ms"] is None else round(t["retrieve_ms"]),
            "respond_ms": None if t["respond_ms"] is None else round(t["respond_ms"]),
        }
        for t in turns
    ]
