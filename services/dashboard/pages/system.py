"""System: whether rag, llm and the store answer now, and the errors and warnings recorded."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Output, callback, html

from collegebot.store import staff_queries as q
from services.dashboard import components as ui
from services.dashboard import context, filters, probes

dash.register_page(__name__, path="/system", name="System", title="System", order=6)

COLUMNS = [
    {"field": "when", "headerName": "When", "minWidth": 150},
    {"field": "service", "headerName": "Service", "minWidth": 100},
    {"field": "level", "headerName": "Level", "minWidth": 90,
     "cellClassRules": {"text-danger fw-bold": "params.value == 'error'"}},
    {"field": "event", "headerName": "Event", "minWidth": 180},
    {"field": "detail", "headerName": "Detail", "flex": 3, "minWidth": 200, **ui.WRAP},
]  # fmt: skip


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("System", className="h4"),
            dbc.Row(id="sy-health", className="g-3 mb-3"),
            ui.table("Errors and warnings", "sy-logs", COLUMNS, "sy-export", "480px"),
        ]
    )


def tile(name: str, ok: bool, detail: str, ms: float) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(name, className="text-muted small"),
                    html.H3(
                        "answering" if ok else "not answering",
                        className="mb-0 " + ("text-success" if ok else "text-danger"),
                        id=f"sy-{name}",
                    ),
                    html.Div(f"{detail} · {ms:.0f} ms", className="small text-muted"),
                ]
            ),
            className="h-100 shadow-sm",
        ),
        xs=12,
        md=4,
    )


@callback(Output("sy-health", "children"), Output("sy-logs", "rowData"),
          Output("sy-export", "href"), *filters.FILTERS)  # fmt: skip
def refresh(start, end, intent, _tick) -> tuple:
    board = context.current()
    window = filters.window(start, end, None, board.timezone)
    store_ok, store_ms, store_error = q.store_answers(board.engine)
    tiles = [
        tile(p.name, p.ok, p.detail, p.ms)
        for p in (probes.probe("rag", board.rag_address), probes.probe("llm", board.llm_address))
    ]
    tiles.append(tile("store", store_ok, store_error or "a query answered", store_ms))
    logs = [
        {
            "when": ui.local(row["created_at"], board.timezone),
            "service": row["service"],
            "level": row["level"],
            "event": row["event"],
            "detail": row["detail"],
        }
        for row in q.system_logs(board.engine, window)
    ]
    return tiles, logs, ui.export_href("logs", window)
