"""Conversations: every turn, searchable and filterable; a row opens that student's thread."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from collegebot.store import staff_queries as q
from services.dashboard import components as ui
from services.dashboard import context, filters

dash.register_page(
    __name__, path="/conversations", name="Conversations", title="Conversations", order=1
)

COLUMNS = [
    {"field": "when", "headerName": "When", "minWidth": 150, "sort": "desc"},
    {"field": "student", "headerName": "Student", "minWidth": 130},
    {"field": "question", "headerName": "Question", "minWidth": 240, "flex": 3, **ui.WRAP},
    {"field": "answer", "headerName": "Answer", "minWidth": 280, "flex": 4,
     "tooltipField": "answer"},
    {"field": "sources", "headerName": "Sources", "minWidth": 150, "flex": 1},
    {"field": "intent", "headerName": "Intent", "minWidth": 110},
    {"field": "sentiment", "headerName": "Sentiment", "minWidth": 110},
    {"field": "urgency", "headerName": "Urgency", "minWidth": 100},
    {"field": "confidence", "headerName": "Confidence", "filter": "agNumberColumnFilter",
     "valueFormatter": {"function": "d3.format('.2f')(params.value)"}, "minWidth": 110},
    {"field": "generator", "headerName": "Generator", "minWidth": 110},
    {"field": "status", "headerName": "Status", "minWidth": 100},
    {"field": "total_s", "headerName": "Reply (s)", "filter": "agNumberColumnFilter",
     "minWidth": 100},
    {"field": "retrieve_ms", "headerName": "Retrieve (ms)", "filter": "agNumberColumnFilter",
     "minWidth": 110},
    {"field": "respond_ms", "headerName": "Respond (ms)", "filter": "agNumberColumnFilter",
     "minWidth": 110},
]  # fmt: skip
# A click anywhere on a row selects it (AG Grid's default wants a checkbox), which opens the thread.


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("Conversations", className="h4"),
            dbc.Row(
                dbc.Col(
                    dbc.Input(
                        id="cv-search",
                        type="search",
                        placeholder="Search questions and answers…",
                        debounce=True,
                    ),
                    md=6,
                ),
                className="mb-2",
            ),
            ui.section(
                "Turns (newest first; click a row for the student's whole thread)",
                html.Div(id="cv-count", className="small text-muted mb-2"),
                ui.grid("cv-grid", COLUMNS, rowSelection=ui.CLICK_TO_OPEN),
                action=ui.export_link("cv-export"),
            ),
            dbc.Offcanvas(
                [
                    html.Div(id="cv-thread-about", className="small text-muted mb-2"),
                    ui.export_link("cv-thread-export"),
                    html.Div(id="cv-thread", className="mt-3"),
                ],
                id="cv-thread-panel",
                title="Thread",
                placement="end",
                style={"width": "min(960px, 100vw)"},
                is_open=False,
            ),
            dcc.Store(id="cv-sender"),
        ]
    )


@callback(
    Output("cv-grid", "rowData"),
    Output("cv-count", "children"),
    Output("cv-export", "href"),
    Input("cv-search", "value"),
    *filters.FILTERS,
)
def refresh(search, start, end, intent, _tick) -> tuple:
    board = context.current()
    window = filters.window(start, end, intent, board.timezone)
    turns = q.conversations(board.engine, window, search or "")
    shown = f"{len(turns):,} turns" + (
        " (the newest; narrow the range or search)" if len(turns) >= q.ROWS else ""
    )
    return (
        ui.turn_rows(turns, board.timezone),
        shown,
        ui.export_href("conversations", window, q=search or ""),
    )


@callback(
    Output("cv-thread", "children"),
    Output("cv-thread-panel", "is_open"),
    Output("cv-thread-panel", "title"),
    Output("cv-thread-about", "children"),
    Output("cv-thread-export", "href"),
    Input("cv-grid", "selectedRows"),
    State("cv-grid", "rowData"),
    prevent_initial_call=True,
)
def open_thread(selected, _shown) -> tuple:
    if not selected:
        return no_update, no_update, no_update, no_update, no_update
    board = context.current()
    # The row carries the turn's id, never the student's hash: the hash is looked up here.
    sender = q.sender_of(board.engine, int(selected[0]["id"]))
    if sender is None:
        return [], True, "Thread", "This turn is no longer in the store.", "#"
    turns = q.thread(board.engine, sender)
    masked = selected[0]["student"]
    total = q.thread_length(board.engine, sender)
    about = f"{total:,} turns from {masked}, oldest first" + (
        f" (the newest {len(turns):,} here; Download CSV has them all)."
        if total > len(turns)
        else "."
    )
    href = ui.export_href("thread", turn=str(selected[0]["id"]))
    shown = [bubble(t) for t in ui.turn_rows(turns, board.timezone)]
    return shown, True, f"Thread of {masked}", about, href


def bubble(turn: dict) -> html.Div:
    """One turn as a chat: the student's words on the left, the bot's on the right."""
    labels = [turn["intent"], turn["sentiment"], turn["status"]]
    if turn["urgency"] not in ("", "normal"):
        labels.append(f"urgency {turn['urgency']}")
    return html.Div(
        [
            html.Div(
                [html.Time(turn["when"], className="me-2"),
                 *(dbc.Badge(x, color="light", text_color="dark", className="me-1")
                   for x in labels if x)],
                className="small text-muted mb-1",
            ),
            html.Div(turn["question"], className="thread-question"),
            html.Div(turn["answer"], className="thread-answer"),
        ],
        className="thread-turn mb-3",
    )  # fmt: skip
