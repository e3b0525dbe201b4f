"""CSV export of every table the pages show, from the same staff-queries functions.

`GET /export/<table>.csv?start=…&end=…&intent=…` (the page's filters, ISO times); behind the
login like everything else (auth.py answers 401 to a signed-out request).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime

from flask import Flask, Response, abort, request

from collegebot.store import staff_queries as q
from services.dashboard import context, filters

TURN_FIELDS = [
    "created_at", "sender_masked", "question", "answer", "sources", "intent", "sentiment",
    "sentiment_score", "urgency", "confidence", "abstained", "escalated", "generator", "status",
    "total_ms", "retrieve_ms", "respond_ms",
]  # fmt: skip
DOCUMENT_FIELDS = [
    "path", "title", "doc_type", "pages", "chunks", "status", "error", "ingested_at",
]  # fmt: skip
LOG_FIELDS = ["created_at", "service", "level", "event", "detail"]


def _window() -> q.Window:
    board = context.current()
    default = filters.window(None, None, None, board.timezone)
    try:
        start = datetime.fromisoformat(request.args["start"]) if "start" in request.args else None
        end = datetime.fromisoformat(request.args["end"]) if "end" in request.args else None
    except ValueError:
        abort(400, "start and end are ISO 8601 times")
    return q.Window(start or default.start, end or default.end, request.args.get("intent") or None)


def _thread() -> list[dict]:
    board = context.current()
    turn = request.args.get("turn", "")
    sender = q.sender_of(board.engine, int(turn)) if turn.isdigit() else None
    return q.thread(board.engine, sender, q.EXPORT_ROWS) if sender else []


# table -> (its rows, the columns written)
TABLES: dict[str, tuple[Callable[[], list[dict]], list[str]]] = {
    "conversations": (
        lambda: q.conversations(
            context.current().engine, _window(), request.args.get("q", ""), q.EXPORT_ROWS
        ),
        TURN_FIELDS,
    ),
    "thread": (_thread, TURN_FIELDS),
    "negative": (lambda: q.most_negative(context.current().engine, _window()), TURN_FIELDS),
    "documents": (lambda: q.documents(context.current().engine), DOCUMENT_FIELDS),
    "logs": (
        lambda: q.system_logs(context.current().engine, _window(), q.EXPORT_ROWS),
        LOG_FIELDS,
    ),
}


# Free text a spreadsheet would run as a formula (a student can write "=HYPERLINK(…)") gets a
# leading apostrophe, as OWASP advises for CSV exports.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FREE_TEXT = {"question", "answer", "detail", "error", "title"}


def cell(field: str, value: object, tz) -> object:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if field in FREE_TEXT and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[dict], fields: list[str], tz) -> str:
    """Rows as CSV; times in the college's zone with their offset (ISO 8601)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(k, v, tz) for k, v in row.items()})
    return out.getvalue()


def install(server: Flask) -> None:
    @server.route("/export/<table>.csv")
    def export(table: str) -> Response:
        if table not in TABLES:
            abort(404)
        rows, fields = TABLES[table]
        body = to_csv(rows(), fields, context.current().timezone)
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{table}.csv"'},
        )
