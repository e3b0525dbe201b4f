"""Knowledge gaps: what the bot could not answer (abstained, answered weakly, or a student said it
did not help), grouped by meaning, most frequent first; write the answer and it joins the
knowledge base at once."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from flask import session

from collegebot.store import staff_queries as q
from services.dashboard import components as ui
from services.dashboard import context, filters, gap_answers

dash.register_page(__name__, path="/gaps", name="Knowledge gaps", title="Knowledge gaps", order=3)

TEXT = {"wrapText": True, "autoHeight": True, "cellStyle": {"lineHeight": "1.35"}}
GAPS = [
    {"field": "count", "headerName": "Asked", "filter": "agNumberColumnFilter", "minWidth": 90,
     "sort": "desc"},
    {"field": "question", "headerName": "Question", "minWidth": 240, "flex": 2, **TEXT},
    {"field": "examples", "headerName": "Also asked as", "minWidth": 260, "flex": 3, **TEXT},
    {"field": "reasons", "headerName": "Why", "minWidth": 170},
    {"field": "last", "headerName": "Last asked", "minWidth": 150},
]  # fmt: skip
ANSWERS = [
    {"field": "when", "headerName": "Written", "minWidth": 150, "sort": "desc"},
    {"field": "question", "headerName": "Question", "minWidth": 220, "flex": 2, **TEXT},
    {"field": "by", "headerName": "By", "minWidth": 130},
    {"field": "path", "headerName": "Document", "minWidth": 220, "flex": 1},
]


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("Knowledge gaps", className="h4"),
            html.P(
                "Questions the bot could not answer well, gathered by meaning. Click one, write "
                "the answer, and it becomes a document of the knowledge base at once: the next "
                "student who asks gets it, with that document as the source.",
                className="small text-muted",
            ),
            ui.section(
                "Open gaps (most asked first; click a row to answer it)",
                html.Div(id="gap-count", className="small text-muted mb-2"),
                ui.grid("gap-grid", GAPS, height="420px", rowSelection=ui.CLICK_TO_OPEN),
            ),
            html.Div(id="gap-editor"),
            html.Div(id="gap-result", className="mb-3"),
            ui.section("Answers staff wrote", ui.grid("gap-answers", ANSWERS, height="300px")),
            dcc.Store(id="gap-selected"),
            dcc.Store(id="gap-changed", data=0),
        ]
    )


def _reasons(gap: q.Gap) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(gap.reasons.items()))


@callback(
    Output("gap-grid", "rowData"),
    Output("gap-count", "children"),
    Output("gap-answers", "rowData"),
    *filters.FILTERS,
    Input("gap-changed", "data"),
)
def refresh(start, end, intent, _tick, _changed) -> tuple:
    board = context.current()
    window = filters.window(start, end, intent, board.timezone)
    answers = [
        {
            "when": ui.local(a.created_at, board.timezone),
            "question": a.question,
            "by": a.written_by,
            "path": a.path,
        }
        for a in q.staff_answers(board.engine)
    ]
    try:
        gaps = gap_answers.current().open_gaps(window.start)
    except gap_answers.GapsUnavailable as e:
        return [], f"{e}: try again in a minute.", answers
    rows = [
        {
            "key": g.key,
            "ids": [t.conversation_id for t in g.turns],
            "count": g.count,
            "question": g.question,
            "examples": " · ".join(x for x in g.examples() if x != g.question),
            "reasons": _reasons(g),
            "last": ui.local(g.last_asked, board.timezone),
        }
        for g in gaps
    ]
    turns = sum(g.count for g in gaps)
    count = (
        f"{len(gaps):,} {'gap' if len(gaps) == 1 else 'gaps'} from {turns:,} questions"
        if gaps
        else "No open gaps."
    )
    return rows, count, answers


@callback(
    Output("gap-selected", "data"),
    Input("gap-grid", "selectedRows"),
    prevent_initial_call=True,
)
def select(selected):
    if not selected:
        return no_update
    row = selected[0]
    return {"ids": row["ids"], "question": row["question"], "examples": row["examples"]}


@callback(Output("gap-editor", "children"), Input("gap-selected", "data"))
def editor(gap):
    if not gap:
        return None
    return ui.section(
        f"Answer: {gap['question']}",
        html.P(
            f"{len(gap['ids']):,} questions in this group"
            + (f", also asked as: {gap['examples']}" if gap["examples"] else "."),
            className="small text-muted",
        ),
        dbc.Label("The question, as the document's heading", html_for="gap-question"),
        dbc.Input(id="gap-question", value=gap["question"], className="mb-2"),
        dbc.Label("The answer students will get", html_for="gap-answer"),
        dbc.Textarea(
            id="gap-answer",
            placeholder="Write the answer as the office would give it: facts, where, when, who.",
            style={"minHeight": "8rem"},
            className="mb-2",
        ),
        dbc.Button("Save and add to the knowledge base", id="gap-save", color="primary"),
    )


@callback(
    Output("gap-result", "children"),
    Output("gap-changed", "data"),
    Output("gap-selected", "data", allow_duplicate=True),
    Input("gap-save", "n_clicks"),
    State("gap-selected", "data"),
    State("gap-question", "value"),
    State("gap-answer", "value"),
    State("gap-changed", "data"),
    prevent_initial_call=True,
)
def save(clicks, gap, question, answer, changed):
    if not clicks or not gap:
        return no_update, no_update, no_update
    question, answer = (question or "").strip(), (answer or "").strip()
    if not question or not answer:
        alert = dbc.Alert("Write both the question and the answer.", color="warning")
        return html.Div(alert, id="gap-outcome"), no_update, no_update
    me = session.get("name") or session.get("user", "")
    try:
        done = gap_answers.current().answer(gap["ids"], question, answer, me)
    except gap_answers.GapsUnavailable as e:
        return html.Div(dbc.Alert(str(e), color="danger"), id="gap-outcome"), no_update, no_update
    message = (
        f"Saved as {done.path} and added to the knowledge base; {done.resolved:,} "
        "questions resolved. The next student who asks gets this answer."
    )
    return html.Div(dbc.Alert(message, color="success"), id="gap-outcome"), changed + 1, None
