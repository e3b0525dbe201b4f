"""Escalations and hand-off: the students waiting for a person (urgent first), each with the
thread that raised it; claim a case, reply to the student through Twilio, mark it handled."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from flask import session

from collegebot.store import staff_queries as q
from collegebot.store.models import utcnow
from services.dashboard import components as ui
from services.dashboard import context, handoff
from services.dashboard.handoff import MAX_REPLY_CHARS

dash.register_page(__name__, path="/escalations", name="Escalations", title="Escalations", order=4)

CASES = [
    {"field": "reason", "headerName": "Reason", "minWidth": 100},
    {"field": "status", "headerName": "Status", "minWidth": 100},
    {"field": "raised", "headerName": "Raised", "minWidth": 150},
    {"field": "student", "headerName": "Student", "minWidth": 130},
    {"field": "claimed_by", "headerName": "Claimed by", "minWidth": 130},
    {"field": "last_message", "headerName": "Student last wrote", "minWidth": 150},
    {"field": "window", "headerName": "Free-text window", "minWidth": 160, "flex": 1},
]
HANDLED = [
    {"field": "raised", "headerName": "Raised", "minWidth": 150},
    {"field": "student", "headerName": "Student", "minWidth": 130},
    {"field": "reason", "headerName": "Reason", "minWidth": 100},
    {"field": "claimed_by", "headerName": "Claimed by", "minWidth": 130},
    {"field": "handled_by", "headerName": "Handled by", "minWidth": 130},
    {"field": "handled", "headerName": "Handled", "minWidth": 150},
]
WHO = {"student": "Student", "bot": "Bot", "staff": "Staff", "case": "Case raised"}


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("Escalations and hand-off", className="h4"),
            html.P(
                "Students who asked for a person or wrote something urgent. Claim a case to "
                "take it: the bot stays quiet for that student (an emergency is still answered) "
                "until you mark it handled.",
                className="small text-muted",
            ),
            ui.section(
                "Waiting (urgent first, then the longest waiting; click a row to open it)",
                html.Div(id="esc-count", className="small text-muted mb-2"),
                ui.grid("esc-grid", CASES, height="340px", rowSelection=ui.CLICK_TO_OPEN),
            ),
            html.Div(id="esc-case"),
            html.Div(id="esc-result", className="mb-3"),
            ui.section(
                "Handled recently",
                ui.grid("esc-handled", HANDLED, height="300px"),
            ),
            dcc.Store(id="esc-selected"),
            dcc.Store(id="esc-changed", data=0),
        ]
    )


def _window(case: q.Case, tz) -> str:
    if case.in_window():
        return f"open until {ui.local(case.window_ends, tz)}"
    return "closed: template only"


@callback(
    Output("esc-grid", "rowData"),
    Output("esc-count", "children"),
    Output("esc-handled", "rowData"),
    Input("refresh", "n_intervals"),
    Input("esc-changed", "data"),
)
def refresh(_tick, _changed) -> tuple:
    board = context.current()
    tz = board.timezone
    waiting = q.cases(board.engine)
    rows = [
        {
            "id": c.escalation.id,
            "reason": c.escalation.reason,
            "status": c.escalation.status,
            "raised": ui.local(c.escalation.created_at, tz),
            "student": c.escalation.sender_masked,
            "claimed_by": c.escalation.claimed_by,
            "last_message": ui.local(c.last_message_at, tz),
            "window": _window(c, tz),
        }
        for c in waiting
    ]
    handled = [
        {
            "id": c.escalation.id,
            "raised": ui.local(c.escalation.created_at, tz),
            "student": c.escalation.sender_masked,
            "reason": c.escalation.reason,
            "claimed_by": c.escalation.claimed_by,
            "handled_by": c.escalation.handled_by,
            "handled": ui.local(c.escalation.handled_at, tz),
        }
        for c in q.cases(board.engine, ("handled",), limit=50)
    ]
    urgent = sum(c.escalation.reason == "urgent" for c in waiting)
    count = f"{len(waiting):,} waiting, {urgent:,} urgent" if waiting else "Nobody is waiting."
    return rows, count, handled


@callback(
    Output("esc-selected", "data"),
    Input("esc-grid", "selectedRows"),
    prevent_initial_call=True,
)
def select(selected):
    return int(selected[0]["id"]) if selected else no_update


@callback(
    Output("esc-case", "children"),
    Input("esc-selected", "data"),
    Input("esc-changed", "data"),
)
def show_case(escalation_id, _changed):
    # Not on the auto-refresh: that would wipe a reply being typed.
    if escalation_id is None:
        return None
    board = context.current()
    case = q.handoff_case(board.engine, escalation_id)
    if case is None:
        return dbc.Alert("This case is no longer in the store.", color="secondary")
    e, tz = case.escalation, board.timezone
    thread = [
        html.Div(
            [
                html.Div(
                    f"{WHO[entry.who]} · {ui.local(entry.at, tz)}"
                    + (f" · {entry.detail}" if entry.detail else ""),
                    className="small text-muted",
                ),
                html.Div(entry.text, style={"whiteSpace": "pre-wrap"}),
            ],
            className=f"esc-msg esc-{entry.who} border rounded p-2 mb-2",
            style={"marginLeft": "0" if entry.who in ("student", "case") else "2rem"},
        )
        for entry in q.case_thread(board.engine, e.sender_hash)
    ]
    open_case = e.status in q.OPEN_CASES
    if case.in_window():
        note = dbc.Alert(
            f"Inside WhatsApp's 24-hour window (until {ui.local(case.window_ends, tz)}): your "
            "reply goes to the student as you write it.",
            color="light",
            className="small mb-2",
            id="esc-window",
        )
    else:
        note = dbc.Alert(
            f"Outside WhatsApp's 24-hour window (it closed {ui.local(case.window_ends, tz)}): "
            "WhatsApp refuses free text from a business once a day has passed since the "
            "student's last message, so only the college's approved template can be sent. "
            "It invites the student to write back; then you can reply in your own words.",
            color="warning",
            className="small mb-2",
            id="esc-window",
        )
    status = {
        "open": "Open: nobody has claimed it yet.",
        "claimed": f"Claimed by {e.claimed_by} at {ui.local(e.claimed_at, tz)}: the bot is "
        "quiet for this student.",
        "handled": f"Handled by {e.handled_by} at {ui.local(e.handled_at, tz)}; the number "
        "has been erased.",
    }[e.status]
    actions = dbc.Row(
        [
            dbc.Col(
                dbc.Textarea(
                    id="esc-reply",
                    placeholder="Write to the student…" if case.in_window() else "",
                    maxLength=MAX_REPLY_CHARS,
                    disabled=not open_case or not case.in_window(),
                    style={"minHeight": "6rem"},
                ),
                md=8,
            ),
            dbc.Col(
                [
                    dbc.Button(
                        "Send reply" if case.in_window() else "Send the approved template",
                        id="esc-send",
                        color="primary",
                        disabled=not open_case,
                        className="me-2 mb-2",
                    ),
                    dbc.Button(
                        "Claim",
                        id="esc-claim",
                        color="secondary",
                        outline=True,
                        disabled=e.status != "open",
                        className="me-2 mb-2",
                    ),
                    dbc.Button(
                        "Mark handled",
                        id="esc-handle",
                        color="success",
                        outline=True,
                        disabled=not open_case,
                        className="mb-2",
                    ),
                ],
                md=4,
            ),
        ]
    )
    return ui.section(
        f"Case of {e.sender_masked} ({e.reason})",
        html.P(status, id="esc-status", className="small"),
        html.Div(thread, id="esc-thread", style={"maxHeight": "50vh", "overflowY": "auto"}),
        note,
        actions,
    )


@callback(
    Output("esc-result", "children"),
    Output("esc-changed", "data"),
    Input("esc-claim", "n_clicks"),
    Input("esc-handle", "n_clicks"),
    Input("esc-send", "n_clicks"),
    State("esc-selected", "data"),
    State("esc-reply", "value"),
    State("esc-changed", "data"),
    prevent_initial_call=True,
)
def act(_claim, _handle, _send, escalation_id, text, changed):
    # A case panel drawn afresh "changes" its buttons to no clicks: only a real click counts.
    if escalation_id is None or not (ctx.triggered and ctx.triggered[0]["value"]):
        return no_update, no_update
    desk, me = handoff.current(), session.get("name") or session.get("user", "")
    if ctx.triggered_id == "esc-claim":
        ok = desk.claim(escalation_id, me)
        result = dbc.Alert(
            "Claimed: the bot is quiet for this student." if ok else "Someone claimed it first.",
            color="success" if ok else "warning",
        )
    elif ctx.triggered_id == "esc-handle":
        ok = desk.handle(escalation_id, me)
        result = dbc.Alert(
            "Handled: the bot answers this student again and their number is erased."
            if ok
            else "It was handled already.",
            color="success" if ok else "warning",
        )
    else:
        sent = desk.reply(escalation_id, text or "", me, utcnow())
        result = dbc.Alert(sent.message, color="success" if sent.ok else "danger")
    return html.Div(result, id="esc-outcome"), (changed or 0) + 1
