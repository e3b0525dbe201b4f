"""Knowledge base: every document rag indexed and how its last ingestion went, failures first."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from collegebot.store import staff_queries as q
from services.dashboard import components as ui
from services.dashboard import context, probes

dash.register_page(
    __name__, path="/knowledge-base", name="Knowledge base", title="Knowledge base", order=5
)

COLUMNS = [
    {"field": "path", "headerName": "Document", "flex": 3, "minWidth": 220, "tooltipField": "path"},
    {"field": "doc_type", "headerName": "Type", "minWidth": 80},
    {"field": "pages", "headerName": "Pages", "filter": "agNumberColumnFilter", "minWidth": 80},
    {"field": "chunks", "headerName": "Chunks", "filter": "agNumberColumnFilter", "minWidth": 90},
    {"field": "status", "headerName": "Status", "minWidth": 100,
     "cellClassRules": {"text-danger fw-bold": "params.value == 'failed'"}},
    {"field": "error", "headerName": "Error", "flex": 2, "minWidth": 160, **ui.WRAP},
    {"field": "indexed_at", "headerName": "Indexed at", "minWidth": 150},
]  # fmt: skip


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("Knowledge base", className="h4"),
            html.P(id="kb-summary", className="text-muted"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Button(
                            "Re-ingest the knowledge base", id="kb-reingest", color="primary"
                        ),
                        width="auto",
                    ),
                    dbc.Col(dcc.Loading(html.Div(id="kb-reingest-result"), type="dot")),
                ],
                className="mb-3 align-items-center g-2",
            ),
            ui.table("Documents (failures first)", "kb-grid", COLUMNS, "kb-export", "520px"),
        ]
    )


@callback(
    Output("kb-grid", "rowData"),
    Output("kb-summary", "children"),
    Output("kb-export", "href"),
    Input("refresh", "n_intervals"),
    Input("kb-reingest-result", "children"),
)
def refresh(_tick, _reingested) -> tuple:
    board = context.current()
    documents = q.documents(board.engine)
    rows = [{**d, "indexed_at": ui.local(d.pop("ingested_at"), board.timezone)} for d in documents]
    failed = sum(d["status"] == "failed" for d in documents)
    chunks = sum(d["chunks"] for d in documents)
    summary = f"{len(documents):,} documents, {chunks:,} chunks; {failed:,} failed to ingest."
    return rows, summary, ui.export_href("documents")


@callback(
    Output("kb-reingest-result", "children"),
    Input("kb-reingest", "n_clicks"),
    State("kb-reingest", "n_clicks_timestamp"),
    prevent_initial_call=True,
)
def reingest(clicks, _at) -> html.Span:
    if not clicks:
        return html.Span()
    board = context.current()
    result = probes.reingest(board.rag_address)
    if not result.ok:
        return html.Span(f"rag did not ingest: {result.error}", className="text-danger")
    done = ", ".join(f"{n} {status}" for status, n in sorted(result.counts.items()))
    return html.Span(
        f"Re-ingested: {done or 'nothing to do'}; {result.index_chunks:,} chunks in the index.",
        className="text-success",
    )
